import { ProgressBar } from '../../src/cli/progress';

function sink() {
  const chunks: string[] = [];
  return { chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

describe('ProgressBar', () => {
  it('prints a plain line per 10% when not a TTY', () => {
    const s = sink();
    const bar = new ProgressBar(20, s, { tty: false, label: 'calibration' });
    for (let i = 0; i < 20; i++) bar.tick();
    bar.finish();
    const lines = s.text().trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('calibration: 10% (2/20)');
    expect(lines[9]).toBe('calibration: 100% (20/20)');
    expect(s.text()).not.toContain('\r');
  });

  it('prints one line per step when a step crosses several deciles', () => {
    const s = sink();
    const bar = new ProgressBar(3, s, { tty: false });
    for (let i = 0; i < 3; i++) bar.tick();
    expect(s.text()).toBe('progress: 30% (1/3)\nprogress: 60% (2/3)\nprogress: 100% (3/3)\n');
  });

  it('redraws in place with \\r on a TTY and ends the line once', () => {
    const s = sink();
    const bar = new ProgressBar(4, s, { tty: true, label: 'cal', width: 8 });
    bar.update(1);
    bar.update(4);
    bar.finish();
    bar.finish();
    expect(s.chunks).toEqual(['\rcal [--------]   0% 0/4', '\rcal [##------]  25% 1/4', '\rcal [########] 100% 4/4', '\n']);
  });

  it('clamps out-of-range updates', () => {
    const s = sink();
    const bar = new ProgressBar(2, s, { tty: true, width: 2 });
    bar.update(5);
    expect(s.chunks[s.chunks.length - 1]).toBe('\rprogress [##] 100% 2/2');
  });
});
