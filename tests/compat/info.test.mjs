// Info commands through the client, including the ones the client and the official suite
// rely on (build, edition, features, namespaces, namespace config with nsup-period).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Aerospike, HOST, PORT, connect } from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

describe('info', () => {
  it('status answers ok (infoAny, infoAll, infoNode)', async () => {
    assert.equal(await client.infoAny('status'), 'status\tok\n');
    const all = await client.infoAll('status');
    assert.equal(all.length, 1, 'one node');
    assert.ok(all[0].host, 'the answer names its node');
    assert.equal(all[0].info, 'status\tok\n');
    const [node] = client.getNodes();
    assert.equal(await client.infoNode('status', node), 'status\tok\n');
  });

  it('the node id is the one the admin API reports', async () => {
    const health = await (await fetch(`http://${HOST}:8080/v1/health`)).json();
    const info = Aerospike.info.parse(await client.infoAny('node'));
    assert.equal(String(info.node).toUpperCase(), String(health.node).toUpperCase());
    const [node] = client.getNodes();
    assert.equal(String(node.name).toUpperCase(), String(health.node).toUpperCase());
    assert.equal(node.address, `${HOST}:${PORT}`);
  });

  it('namespaces lists test and bar', async () => {
    const info = Aerospike.info.parse(await client.infoAny('namespaces'));
    const list = [].concat(info.namespaces);
    assert.ok(list.includes('test'), `namespaces: ${list}`);
    assert.ok(list.includes('bar'), `namespaces: ${list}`);
  });

  it('build, edition and features answer (the official suite reads them first)', async () => {
    const info = Aerospike.info.parse(await client.infoAny('build\nedition\nfeatures'));
    assert.match(String(info.build), /^\d+\.\d+\.\d+/, `build: ${info.build}`);
    assert.ok(info.edition, 'edition is set');
    assert.ok(info.features, 'features is set');
  });

  it('several commands in one request answer each', async () => {
    const raw = await client.infoAny('status\nnamespaces');
    assert.match(raw, /^status\tok$/m);
    assert.match(raw, /^namespaces\t.*test/m);
  });

  it('namespace config reports nsup-period', async () => {
    const cmd = 'get-config:context=namespace;id=test';
    const info = Aerospike.info.parse(await client.infoAny(cmd));
    assert.equal(Number(info[cmd]['nsup-period']), 1, JSON.stringify(info[cmd]));
  });

  it('namespace/<ns> reports statistics of the namespace', async () => {
    const info = Aerospike.info.parse(await client.infoAny('namespace/test'));
    const stats = info['namespace/test'];
    assert.ok(stats && typeof stats === 'object', JSON.stringify(info));
    assert.ok('objects' in stats, `namespace/test has objects: ${JSON.stringify(stats)}`);
  });

  it('an unknown command does not break the connection', async () => {
    await client.infoAny('no-such-command-xyz').catch(() => {});
    assert.equal(await client.infoAny('status'), 'status\tok\n');
  });
});
