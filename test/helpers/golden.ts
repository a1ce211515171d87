/** What every PyTorch golden record holds (test/fixtures/make_*_fixtures.py): the weights, one batch, PyTorch's results. */
export interface GoldenPass {
  name: string;
  batchSize: number;
  seqLen: number;
  /** Every parameter by its state_dict name (rnn.*, head.*), row-major. */
  parameters: Record<string, number[]>;
  /** Token ids, or B·T·I floats. */
  inputs: number[];
  /** Class ids (-100: none), or B·T·O floats. */
  targets: number[];
  mask: number[] | null;
  /** (L, B, H) initial state, or null for zeros. */
  h0: number[] | null;
  /** LSTM: (L, B, H) initial cell state, or null for zeros. */
  c0?: number[] | null;
  expected: {
    loss: number;
    count: number;
    outputs: number[];
    finalState: number[];
    finalCellState?: number[];
    gradients: Record<string, number[]>;
    h0Gradient: number[];
    c0Gradient?: number[];
  };
}
