import { disposeResult, loadRealDeps } from '../../src/cli/deps';

describe('deps', () => {
  it('loads the real API lazily into the injected shape', async () => {
    const deps = await loadRealDeps();
    for (const name of ['loadGraph', 'createQuantConfig', 'quantizeModel', 'createSession', 'saveModel'] as const) {
      expect(typeof deps[name]).toBe('function');
    }
  });

  it('disposes tensors returned by session.run, as an array, a map or a single value', () => {
    let n = 0;
    const t = () => ({ dispose: () => n++ });
    disposeResult([t(), t()]);
    disposeResult({ a: t(), b: 3 });
    disposeResult(t());
    disposeResult(undefined);
    disposeResult([new Float32Array(2)]);
    expect(n).toBe(4);
  });
});
