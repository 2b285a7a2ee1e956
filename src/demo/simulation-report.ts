/**
 * What a simulation tells the demo's narrator each time rollbot calls it: which port method (`state`,
 * `execute`, `range`, `query`, …) and one line for people. The narrator labels the line with its simulation.
 */
export interface SimulationCall {
  call: string;
  text: string;
}

export type SimulationReport = (event: SimulationCall) => void;
