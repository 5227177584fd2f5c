import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { OrgNode } from '../../../../src/platform/orgs/org-store.js';
import { OrgTree } from '../../../../src/platform/orgs/org-tree.js';

const node = (id: number, parent: number | null): OrgNode => ({
  id,
  parentOrganizationId: parent,
  type: parent === null ? 'ROOT' : 'BUSINESS',
});

/**
 * 1 ─┬─ 2 ── 4 ── 7
 *    ├─ 3 ── 5
 *    └─ 6
 * 100 ── 101   (a second, unrelated tree)
 */
function sample(): OrgTree {
  return new OrgTree([
    node(1, null),
    node(2, 1),
    node(3, 1),
    node(4, 2),
    node(5, 3),
    node(6, 1),
    node(7, 4),
    node(100, null),
    node(101, 100),
  ]);
}

test('spec §2.2 scoping - an org is in its own scope', () => {
  const tree = sample();
  for (const id of [1, 2, 4, 7, 100]) assert.equal(tree.isInScope(id, id), true, String(id));
});

test('spec §2.2 scoping - children and deeper descendants are in scope', () => {
  const tree = sample();
  assert.equal(tree.isInScope(2, 4), true);
  assert.equal(tree.isInScope(2, 7), true);
  assert.equal(tree.isInScope(1, 7), true);
  assert.equal(tree.isInScope(1, 5), true);
});

test('spec §2.2 scoping - parents, siblings, cousins and other trees are out of scope', () => {
  const tree = sample();
  assert.equal(tree.isInScope(4, 2), false, 'parent');
  assert.equal(tree.isInScope(7, 1), false, 'root from a leaf');
  assert.equal(tree.isInScope(2, 3), false, 'sibling');
  assert.equal(tree.isInScope(4, 5), false, 'cousin');
  assert.equal(tree.isInScope(1, 101), false, 'other tree');
  assert.equal(tree.isInScope(100, 7), false, 'other tree');
});

test('spec §2.2 scoping - unknown ids are never in scope, not even of themselves', () => {
  const tree = sample();
  assert.equal(tree.isInScope(999, 999), false);
  assert.equal(tree.isInScope(1, 999), false);
  assert.equal(tree.isInScope(999, 1), false);
  assert.equal(tree.isInScope(Number.NaN, 1), false);
  assert.equal(tree.isInScope(1, Number.NaN), false);
  assert.equal(tree.isInScope(1, -1), false);
});

test('spec §5.1 tree - subtree is the org and its descendants ordered by id; empty when unknown', () => {
  const tree = sample();
  assert.deepEqual(tree.subtree(1), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(tree.subtree(2), [2, 4, 7]);
  assert.deepEqual(tree.subtree(7), [7]);
  assert.deepEqual(tree.subtree(999), []);
});

test('spec §5.1 tree - ancestry runs from the root down; depth counts the root as level 1', () => {
  const tree = sample();
  assert.deepEqual(tree.ancestry(7), [1, 2, 4, 7]);
  assert.deepEqual(tree.ancestry(1), [1]);
  assert.deepEqual(tree.ancestry(999), []);
  assert.deepEqual([tree.depth(1), tree.depth(2), tree.depth(7), tree.depth(999)], [1, 2, 4, 0]);
  assert.deepEqual([tree.height(1), tree.height(2), tree.height(7), tree.height(999)], [4, 3, 1, 0]);
  assert.equal(tree.root(), 1);
});

test('spec §5.1 tree - after a move the scope follows the new parent', () => {
  const tree = sample();
  tree.move(4, 3); // 4 (with 7) leaves 2 for 3
  assert.equal(tree.isInScope(2, 4), false);
  assert.equal(tree.isInScope(2, 7), false);
  assert.equal(tree.isInScope(3, 4), true);
  assert.equal(tree.isInScope(3, 7), true);
  assert.equal(tree.isInScope(1, 7), true);
  assert.deepEqual(tree.subtree(2), [2]);
  assert.deepEqual(tree.subtree(3), [3, 4, 5, 7]);
  assert.deepEqual(tree.ancestry(7), [1, 3, 4, 7]);
  assert.deepEqual(tree.children(3), [4, 5]);
});

test('spec §5.1 tree - a move under itself or a descendant is refused and changes nothing', () => {
  const tree = sample();
  assert.throws(() => tree.move(2, 7));
  assert.throws(() => tree.move(2, 2));
  assert.throws(() => tree.move(2, 999));
  assert.deepEqual(tree.ancestry(7), [1, 2, 4, 7]);
});

test('spec §5.1 tree - after a delete the org is unknown and out of every scope', () => {
  const tree = sample();
  assert.throws(() => tree.remove(4), 'an org with children stays');
  tree.remove(7);
  assert.equal(tree.has(7), false);
  assert.equal(tree.isInScope(1, 7), false);
  assert.equal(tree.isInScope(7, 7), false);
  assert.deepEqual(tree.subtree(2), [2, 4]);
  assert.deepEqual(tree.children(4), []);
  tree.remove(7); // removing an unknown id is a no-op
  assert.equal(tree.size, 8);
});

test('spec §5.1 tree - add refuses duplicates and unknown parents', () => {
  const tree = sample();
  assert.throws(() => tree.add(node(4, 1)));
  assert.throws(() => tree.add(node(50, 999)));
  tree.add(node(8, 7));
  assert.deepEqual(tree.ancestry(8), [1, 2, 4, 7, 8]);
  assert.equal(tree.isInScope(2, 8), true);
});

test('spec §2.2 scoping - isInScope, subtree and ancestry agree on random trees and moves', () => {
  // Each org i > 0 gets a parent among 0..i-1: always a tree rooted at 0.
  const arbTree = fc
    .integer({ min: 1, max: 40 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => fc.nat({ max: i }))))
    .map((parents) => [node(0, null), ...parents.map((p, i) => node(i + 1, p))]);
  fc.assert(
    fc.property(arbTree, fc.array(fc.tuple(fc.nat(), fc.nat())), (nodes, moves) => {
      const tree = new OrgTree(nodes);
      const n = nodes.length;
      for (const [x, y] of moves) {
        const [id, parent] = [1 + (x % (n - 1 || 1)), y % n];
        if (id < n && !tree.isInScope(id, parent)) tree.move(id, parent);
      }
      for (let s = 0; s < n; s++) {
        const sub = new Set(tree.subtree(s));
        for (let o = 0; o < n; o++) {
          const inScope = tree.isInScope(s, o);
          assert.equal(inScope, sub.has(o));
          assert.equal(inScope, tree.ancestry(o).includes(s));
        }
      }
      assert.equal(tree.subtree(0).length, n);
    }),
  );
});
