import { describe, expect, it } from 'vitest';
import type { Output } from '../../src/kernel/kernelClient.js';
import { DisplayRegistry, OutputCollector } from '../../src/kernel/outputCollector.js';

describe('OutputCollector', () => {
  it('merges consecutive chunks of the same stream only', () => {
    const c = new OutputCollector(new DisplayRegistry());
    c.handle('stream', { name: 'stdout', text: 'a' });
    c.handle('stream', { name: 'stdout', text: 'b' });
    c.handle('stream', { name: 'stderr', text: 'e' });
    c.handle('stream', { name: 'stdout', text: 'c' });
    expect(c.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'ab' },
      { output_type: 'stream', name: 'stderr', text: 'e' },
      { output_type: 'stream', name: 'stdout', text: 'c' }
    ]);
  });

  it('does not let live callbacks see merged objects change under them', () => {
    const seen: Output[] = [];
    const c = new OutputCollector(new DisplayRegistry(), Infinity, o => seen.push(o));
    c.handle('stream', { name: 'stdout', text: 'a' });
    c.handle('stream', { name: 'stdout', text: 'b' });
    expect(seen).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a' },
      { output_type: 'stream', name: 'stdout', text: 'b' }
    ]);
  });

  it('cuts text on a character boundary at the byte cap and drops displays that do not fit', () => {
    const c = new OutputCollector(new DisplayRegistry(), 5);
    c.handle('stream', { name: 'stdout', text: 'ab€cd' }); // € is 3 bytes: 'ab€' = 5 bytes
    c.handle('display_data', { data: { 'text/plain': 'big' }, metadata: {} });
    expect(c.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'ab€' }]);
    expect(c.droppedBytes).toBe(2 + 3);
  });

  it('updates every display with the same id, also from a new display_data', () => {
    const registry = new DisplayRegistry();
    const first = new OutputCollector(registry);
    first.handle('display_data', { data: { 'text/plain': '1' }, metadata: {}, transient: { display_id: 'd' } });
    const second = new OutputCollector(registry);
    second.handle('display_data', { data: { 'text/plain': '2' }, metadata: {}, transient: { display_id: 'd' } });
    expect(first.outputs[0]).toMatchObject({ data: { 'text/plain': '2' }, transient: { display_id: 'd' } });
    second.handle('update_display_data', {
      data: { 'text/plain': '3' },
      metadata: { m: 1 },
      transient: { display_id: 'd' }
    });
    expect(first.outputs[0]).toMatchObject({ data: { 'text/plain': '3' }, metadata: { m: 1 } });
    expect(second.outputs[0]).toMatchObject({ data: { 'text/plain': '3' } });
    second.handle('update_display_data', {
      data: { 'text/plain': 'x' },
      metadata: {},
      transient: { display_id: 'unknown' }
    });
    expect(second.outputs).toHaveLength(1);
  });

  it('forgets the oldest display ids beyond its bound', () => {
    const registry = new DisplayRegistry(2);
    const c = new OutputCollector(registry);
    for (const id of ['a', 'b', 'c'])
      c.handle('display_data', { data: { 'text/plain': id }, metadata: {}, transient: { display_id: id } });
    for (const id of ['a', 'b', 'c'])
      c.handle('update_display_data', {
        data: { 'text/plain': `${id}2` },
        metadata: {},
        transient: { display_id: id }
      });
    expect(c.outputs.map(o => (o as { data: Record<string, unknown> }).data['text/plain'])).toEqual(['a', 'b2', 'c2']);
  });

  it('clears at once, or before the next output with wait=True', () => {
    const c = new OutputCollector(new DisplayRegistry());
    c.handle('stream', { name: 'stdout', text: 'old' });
    c.handle('clear_output', { wait: true });
    expect(c.outputs).toHaveLength(1);
    c.handle('stream', { name: 'stdout', text: 'new' });
    expect(c.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'new' }]);
    c.handle('clear_output', { wait: false });
    expect(c.outputs).toEqual([]);
  });
});
