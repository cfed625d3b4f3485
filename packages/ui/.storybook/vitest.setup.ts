import * as a11yAnnotations from '@storybook/addon-a11y/preview';
import { setProjectAnnotations } from '@storybook/react-vite';
import { configure } from 'storybook/test';
import * as previewAnnotations from './preview';

setProjectAnnotations([a11yAnnotations, previewAnnotations]);
// Patient `findBy…`: CI runs the stories beside every other suite on two cores (a 1 s wait for
// the preview to open timed out there once). A wait, not a timed assertion.
configure({ asyncUtilTimeout: 10_000 });
