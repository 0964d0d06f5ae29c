import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { isClaimCheck, parseRef } from '@orchestrator-lite/core';
import { PayloadStore, type PayloadTransport } from '../payloads.js';
import type { ProduceRecord, Transport } from '../types.js';
import type { SuiteContext } from './helpers.js';
import { offsetsOf, readAll, uniqueName } from './helpers.js';

const CHUNK = 200 * 1024;

/** A transport whose produce flips one byte of the record keyed `<any>/<index>`. */
function corrupting(transport: Transport, index: number): PayloadTransport {
  const produce = (records: ProduceRecord[]) =>
    transport.produce(records.map((r) => {
      if (!r.key.endsWith(`/${index}`) || r.value === null) return r;
      const value = Buffer.from(r.value);
      value[value.length >> 1]! ^= 0xff;
      return { ...r, value };
    }));
  // What a payload writer uses of a transport, with produce replaced.
  return {
    produce,
    partitionCount: (topic) => transport.partitionCount(topic),
    readPartition: (topic, partition, options) => transport.readPartition(topic, partition, options),
  };
}

/**
 * Claim-checks on the bus: chunks of several hundred KB are read back by partition and offsets
 * (`readPartition` from..to, the fetch at an offset that Kafka offers instead of a get-by-key).
 */
export function registerPayloadTests(ctx: SuiteContext): void {
  const opts = { timeout: ctx.timeoutMs * 3 };

  void test('readPartition from..to fetches exactly the records at those offsets, records of hundreds of KB included', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('payloads');
    await transport.ensureTopics([{ name: topic, partitions: 2, compacted: true }]);
    const big = Array.from({ length: 5 }, () => randomBytes(300 * 1024));
    for (const [i, value] of big.entries()) {
      await transport.produce([{ topic, key: `small-${i}`, value: Buffer.from(`s${i}`), partition: 1 }]);
      await transport.produce([{ topic, key: `big-${i}`, value, partition: 1 }]);
    }
    const read = await readAll(transport, topic, 1, { from: 3, to: 8 });
    assert.deepEqual(offsetsOf(read), [3, 4, 5, 6, 7]);
    assert.deepEqual(read.map((r) => r.key), ['big-1', 'small-2', 'big-2', 'small-3', 'big-3']);
    assert.ok(read[2]!.value!.equals(big[2]!), 'a 300 KB record comes back byte for byte');
  });

  void test('a payload written in chunks among other records reads back whole and verified', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('payloads');
    await transport.ensureTopics([{ name: topic, partitions: 1, compacted: true }]);
    const store = new PayloadStore(transport, { topic, inlineBytes: 1024, chunkBytes: CHUNK });
    const value = { blob: randomBytes(700 * 1024).toString('base64') };
    const [claim] = await Promise.all([
      store.claim(value, 'run-1'),
      transport.produce([{ topic, key: 'other', value: Buffer.from('x'), partition: 0 }]),
    ]);
    assert.ok(isClaimCheck(claim), 'a value over the inline limit becomes a claim-check');
    const parsed = parseRef(claim.$payload.ref);
    assert.ok(parsed !== undefined && parsed.last - parsed.first >= 4, `the ref names the offsets of its chunks: ${claim.$payload.ref}`);
    assert.deepEqual(await store.get(claim), value);
    assert.deepEqual(await store.resolve({ a: [claim], b: 1 }), { a: [value], b: 1 });
    assert.equal(await store.claim({ small: true }, 'run-1').then((v) => isClaimCheck(v)), false, 'a small value stays inline');
  });

  void test('a corrupted chunk and a missing payload are errors that name the ref', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('payloads');
    await transport.ensureTopics([{ name: topic, partitions: 1, compacted: true }]);
    const bad = new PayloadStore(corrupting(transport, 1), { topic, inlineBytes: 0, chunkBytes: CHUNK });
    const claim = await bad.claim({ blob: randomBytes(450 * 1024).toString('hex') }, 'run-1');
    assert.ok(isClaimCheck(claim));
    const store = new PayloadStore(transport, { topic });
    const ref = claim.$payload.ref;
    await assert.rejects(store.get(claim), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ORCH_PAYLOAD_UNREADABLE');
      assert.ok(error.message.includes(ref) && /sha256|corrupt/.test(error.message), error.message);
      return true;
    });
    await assert.rejects(store.read(ref), /do not match its sha256/, 'a reader with only the ref verifies the chunk headers');
    const missing = ref.replace(/\.[^.]+$/, '.nosuchpayload');
    await assert.rejects(store.read(missing), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ORCH_PAYLOAD_UNREADABLE');
      assert.ok(error.message.includes(missing), error.message);
      return true;
    });
  });

  void test('a payload names its owner; a copy adopted by another run outlives the tombstones of the original', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('payloads');
    await transport.ensureTopics([{ name: topic, partitions: 2, compacted: true }]);
    const store = new PayloadStore(transport, { topic, inlineBytes: 1024, chunkBytes: CHUNK });
    const value = { blob: randomBytes(500 * 1024).toString('base64') };
    const claim = await store.claim(value, 'run-a');
    assert.ok(isClaimCheck(claim));
    const info = await store.inspect(claim.$payload.ref);
    assert.deepEqual(info, { owner: 'run-a', chunks: 4 });
    assert.equal(await store.adopt(claim, 'run-a'), claim, 'a payload its run already owns is not copied');
    const adopted = (await store.adopt({ out: [claim], n: 1 }, 'run-b')) as { out: [unknown]; n: number };
    const copy = adopted.out[0];
    assert.ok(isClaimCheck(copy) && copy.$payload.ref !== claim.$payload.ref, 'another run gets a copy');
    assert.equal(copy.$payload.sha256, claim.$payload.sha256);
    assert.equal((await store.inspect(copy.$payload.ref))?.owner, 'run-b');

    // The tombstones shadow every chunk of the original (compaction then removes them), not the copy's.
    await transport.produce(store.tombstones(claim.$payload.ref, info!.chunks));
    const latest = new Map<string, Buffer | null>();
    for (const partition of [0, 1]) for (const r of await readAll(transport, topic, partition)) latest.set(r.key, r.value);
    const chunksOf = (ref: string) => [...latest.keys()].filter((k) => k.startsWith(`${parseRef(ref)!.id}/`));
    assert.equal(chunksOf(claim.$payload.ref).length, 4);
    assert.ok(chunksOf(claim.$payload.ref).every((k) => latest.get(k) === null), 'every chunk of the original is tombstoned');
    assert.ok(chunksOf(copy.$payload.ref).length === 4 && chunksOf(copy.$payload.ref).every((k) => latest.get(k) !== null), 'the copy is not');
    assert.deepEqual(await store.get(copy), value, 'the copy still reads');
  });
}
