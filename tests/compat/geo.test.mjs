// Geo2dsphere indexes: points within a region or circle, regions containing a point, kept
// exact as records change, built over records written before the index, per namespace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Aerospike, NAMESPACES, connect, key, rejectsWith, uniqueSet } from './helper.mjs';

const { GeoJSON, filter } = Aerospike;

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

// A 0.1° grid of points around Singapore, and squares of 1° with their south-west corner
// at whole degrees.
const square = (lng, lat) =>
  new GeoJSON.Polygon([lng, lat], [lng + 1, lat], [lng + 1, lat + 1], [lng, lat + 1], [lng, lat]);

async function names(ns, set, f) {
  const q = client.query(ns, set);
  q.where(f);
  const recs = await q.results();
  return recs.map((r) => r.bins.name).sort();
}

for (const ns of NAMESPACES) {
  describe(`geo2dsphere index (${ns})`, () => {
    const set = uniqueSet('geo');
    const index = `geo_${set}`;
    const regionIndex = `georeg_${set}`;
    before(async () => {
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 10; j++) {
          await client.put(key(set, `p${i}_${j}`, ns), {
            name: `p${i}_${j}`, loc: new GeoJSON.Point(103 + i / 10, 1 + j / 10)
          });
        }
      }
      for (let i = 0; i < 4; i++) {
        await client.put(key(set, `r${i}`, ns), { name: `r${i}`, area: square(100 + i, 0) });
      }
      await (await client.createIndex({ ns, set, bin: 'loc', index,
                                        datatype: Aerospike.indexDataType.GEO2DSPHERE })).wait(50);
      await (await client.createIndex({ ns, set, bin: 'area', index: regionIndex,
                                        datatype: Aerospike.indexDataType.GEO2DSPHERE })).wait(50);
    });
    after(async () => {
      await client.indexRemove(ns, index);
      await client.indexRemove(ns, regionIndex);
    });

    it('finds exactly the points within a polygon', async () => {
      const box = new GeoJSON.Polygon([103.25, 1.25], [103.55, 1.25], [103.55, 1.45],
                                      [103.25, 1.45], [103.25, 1.25]);
      const want = [];
      for (let i = 3; i <= 5; i++) for (let j = 3; j <= 4; j++) want.push(`p${i}_${j}`);
      assert.deepStrictEqual(await names(ns, set, filter.geoWithinGeoJSONRegion('loc', box)),
                             want.sort());
    });

    it('finds exactly the points within a radius', async () => {
      // 12 km around (103.5, 1.5): the centre and its four neighbours at 0.1° (11.1 km).
      const got = await names(ns, set, filter.geoWithinRadius('loc', 103.5, 1.5, 12000));
      assert.deepStrictEqual(got, ['p4_5', 'p5_4', 'p5_5', 'p5_6', 'p6_5']);
    });

    it('finds the regions containing a point, and none where no region is', async () => {
      assert.deepStrictEqual(await names(ns, set, filter.geoContainsPoint('area', 102.5, 0.5)),
                             ['r2']);
      assert.deepStrictEqual(await names(ns, set, filter.geoContainsPoint('area', 99.5, 0.5)), []);
      // Points are not regions: a point query on the point bin finds nothing.
      assert.deepStrictEqual(await names(ns, set, filter.geoContainsPoint('loc', 103.5, 1.5)), []);
    });

    it('follows writes and deletes', async () => {
      const circle = filter.geoWithinRadius('loc', 110, 10, 5000);
      assert.deepStrictEqual(await names(ns, set, circle), []);
      await client.put(key(set, 'p0_0', ns), { loc: new GeoJSON.Point(110, 10) });
      assert.deepStrictEqual(await names(ns, set, circle), ['p0_0']);
      assert.ok(!(await names(ns, set, filter.geoWithinRadius('loc', 103, 1, 1000)))
        .includes('p0_0'), 'the old position no longer answers');
      await client.put(key(set, 'r0', ns), { area: square(109.5, 9.5) });
      assert.deepStrictEqual(await names(ns, set, filter.geoContainsPoint('area', 110, 10)), ['r0']);
      await client.remove(key(set, 'p0_0', ns));
      await client.remove(key(set, 'r0', ns));
      assert.deepStrictEqual(await names(ns, set, circle), []);
      assert.deepStrictEqual(await names(ns, set, filter.geoContainsPoint('area', 110, 10)), []);
    });

    it('refuses a self-crossing region with 160, as a query filter and as a bin', async () => {
      const bowTie = { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] };
      await rejectsWith(names(ns, set, filter.geoWithinGeoJSONRegion('loc', bowTie)),
                        Aerospike.status.ERR_GEO_INVALID_GEOJSON);
      await rejectsWith(client.put(key(set, 'bowtie', ns), { area: new GeoJSON(bowTie) }),
                        Aerospike.status.ERR_GEO_INVALID_GEOJSON);
    });
  });
}
