/** Module Federation exposure `./App`: the whole UI, with its styles. */
import '@xyflow/react/dist/style.css';
import '../styles.css';
import { App } from '../app.tsx';

export type { AppProps } from '../app.tsx';
export { App };
export default App;
