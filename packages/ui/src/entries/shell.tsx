/** The standalone shell: the whole UI at `/`, talking to the gateway it was served by (or ?gateway=). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import '../styles.css';
import { App } from '../app.tsx';

const gateway = new URLSearchParams(window.location.search).get('gateway') ?? '';
const el = document.getElementById('root');
if (el === null) throw new Error('index.html has no #root element');
document.body.classList.add('ol-body');
createRoot(el).render(
  <StrictMode>
    <App gateway={gateway} routing="hash" />
  </StrictMode>,
);
