/**
 * tfjs-node cannot be installed on our machines; a virtual module stands in for it and
 * registers a 'tensorflow' backend (the cpu kernels) in our tfjs-core, as the real one does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Session } from '../../src/runtime';
import { convGraph, IMG_1_TO_9 } from './tiny-graphs';

jest.mock(
  '@tensorflow/tfjs-node',
  () => {
    const core = jest.requireActual('@tensorflow/tfjs-core');
    const { MathBackendCPU } = jest.requireActual('@tensorflow/tfjs-backend-cpu');
    // The real tfjs-node backend prints nothing; a cpu backend would print tfjs's "install our node backend" banner.
    core.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { firstUse: false }), 3);
    for (const kernel of core.getKernelsForBackend('cpu')) core.registerKernel({ ...kernel, backendName: 'tensorflow' });
    return {};
  },
  { virtual: true },
);

test('when tfjs-node can be imported it is the default backend', async () => {
  delete process.env.AMCT_BACKEND;
  const s = await Session.create(convGraph());
  expect(s.backend).toBe('tfjs-node');
  const out = await s.run('conv', { img: IMG_1_TO_9 });
  expect(Array.from(out.data as Float32Array)).toEqual([37, 47, 67, 77]);
  s.dispose();
  const explicit = await Session.create(convGraph(), { backend: 'tfjs-node' });
  expect(explicit.backend).toBe('tfjs-node');
  explicit.dispose();
  expect(tf.findBackendFactory('tensorflow')).toBeDefined();
});
