import { History } from './history';

export default function Page() {
  return (
    <main style={{ maxWidth: 640, margin: '2rem auto', fontFamily: 'system-ui' }}>
      <h1>Your app's database</h1>
      <History />
    </main>
  );
}
