/** Module Federation exposure `./RunView`: one run's live view, with its styles. */
import '@xyflow/react/dist/style.css';
import '../styles.css';
import { RunViewApp } from '../app.tsx';

export type { RunViewProps } from '../app.tsx';
export { RunViewApp as RunView };
export default RunViewApp;
