/** The console's entry point: styles (uPlot's, then ours) and the app. */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { App } from './App';

render(<App />, document.getElementById('app')!);
