/**
 * The training-path decision (src/engine/path-choice.ts) from measured ms per step: the rule a
 * hardware GPU's run follows, which no machine here can exercise for real.
 */
import { describe, expect, it } from 'vitest';
import {
  choosePath,
  softwareGpuSkip,
  SOFTWARE_GPU_WORTH_MS,
  type PathTiming,
} from '../src/engine/path-choice';

const hw = { software: false };
const sw = { software: true };

describe('choosePath', () => {
  it('takes the fastest path on a hardware GPU, whichever it is, and names the others', () => {
    const rows: PathTiming[] = [
      { backend: 'fused-webgpu', msPerStep: 0.9 },
      { backend: 'fused', msPerStep: 4.2 },
      { backend: 'webgpu', msPerStep: 12.5 },
    ];
    const d = choosePath(rows, hw);
    expect(d.chosen).toBe(rows[0]);
    expect(d.reason).toBe(
      'fused WebGPU kernel 0.9 ms/step, the fastest measured against fused wasm kernel 4.2, tfjs webgpu 12.5',
    );
    // A small GPU under a big CPU: the wasm kernel wins the same comparison.
    const cpuWins: PathTiming[] = [
      { backend: 'fused-webgpu', msPerStep: 6 },
      { backend: 'fused', msPerStep: 2 },
      { backend: 'webgpu', msPerStep: 9 },
    ];
    expect(choosePath(cpuWins, hw).chosen?.backend).toBe('fused');
    const tfjsWins: PathTiming[] = [
      { backend: 'fused-webgpu', error: 'compile failed' },
      { backend: 'fused', skipped: 'ReLU without …' },
      { backend: 'webgpu', msPerStep: 9 },
    ];
    const d2 = choosePath(tfjsWins, hw);
    expect(d2.chosen?.backend).toBe('webgpu');
    expect(d2.reason).toBe(
      'tfjs webgpu 9.0 ms/step, the fastest measured; fused WebGPU kernel failed: compile failed; fused wasm kernel not measured: ReLU without …',
    );
  });

  it('on a software adapter, skips the GPU paths while a CPU path is far faster (the old rule)', () => {
    const rows: PathTiming[] = [
      { backend: 'fused', msPerStep: 8 },
      { backend: 'fused-webgpu', msPerStep: 5 },
      { backend: 'webgpu', msPerStep: 4 },
    ];
    const d = choosePath(rows, sw);
    expect(d.chosen?.backend).toBe('fused');
    expect(d.reason).toMatch(/software adapter on the same CPU; the fused wasm kernel takes 8\.0 ms a step/);
    // The same figures on a hardware adapter: the GPU wins.
    expect(choosePath(rows, hw).chosen?.backend).toBe('webgpu');
    // A CPU path slow enough that batching might pay: the software GPU competes.
    const slow: PathTiming[] = [
      { backend: 'wasm', msPerStep: SOFTWARE_GPU_WORTH_MS + 50 },
      { backend: 'fused-webgpu', msPerStep: 120 },
    ];
    expect(choosePath(slow, sw).chosen?.backend).toBe('fused-webgpu');
    expect(softwareGpuSkip(true, slow)).toBeNull();
    expect(softwareGpuSkip(false, rows)).toBeNull();
    expect(softwareGpuSkip(true, [{ backend: 'fused', msPerStep: 3 }])).toMatch(/tried only above 250 ms/);
    // Nothing measured on the CPU yet: measure the GPU.
    expect(softwareGpuSkip(true, [{ backend: 'fused', error: 'no workers' }])).toBeNull();
  });

  it('a forced WGSL run takes the kernel whenever it started, even on a software adapter', () => {
    const rows: PathTiming[] = [
      { backend: 'fused', msPerStep: 1 },
      { backend: 'fused-webgpu', msPerStep: 40 },
    ];
    const d = choosePath(rows, sw, true);
    expect(d.chosen?.backend).toBe('fused-webgpu');
    expect(d.reason).toBe('fused WebGPU kernel 40.0 ms/step (chosen by the job)');
    const failed = choosePath([{ backend: 'fused-webgpu', error: 'shader failed' }], sw, true);
    expect(failed.chosen).toBeNull();
    expect(failed.reason).toBe('fused WebGPU kernel: shader failed');
  });

  it('with nothing measured, chooses nothing and says why each path has no figure', () => {
    const d = choosePath(
      [
        { backend: 'fused-webgpu', error: 'device lost' },
        { backend: 'fused', skipped: 'not covered' },
        { backend: 'webgpu', msPerStep: Number.NaN },
      ],
      hw,
    );
    expect(d.chosen).toBeNull();
    expect(d.reason).toBe(
      'no path measured (fused WebGPU kernel: device lost; fused wasm kernel: not covered; tfjs webgpu: not measured)',
    );
  });
});
