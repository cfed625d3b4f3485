// Debian's Chromium, as every browser test and benchmark here launches it: installed by
// `scripts/bootstrap.sh --browser`, never downloaded. These flags keep it quiet on a machine
// whose only network is loopback (see shared/toolchain.md).
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
