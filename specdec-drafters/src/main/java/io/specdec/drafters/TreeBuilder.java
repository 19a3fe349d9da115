package io.specdec.drafters;

import io.specdec.speculation.DraftTree;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a deduplicated draft tree (a trie over token paths) under a node budget: paths and subtrees are inserted in
 * priority order; a node whose path already exists is shared, not duplicated. All nodes are deterministic
 * candidates (point masses). Not thread-safe; one per proposal.
 */
public final class TreeBuilder {
    private final int budget;
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Integer> parents = new ArrayList<>();
    private final Map<Long, Integer> children = new HashMap<>(); // (parent+1) << 32 | token → node

    public TreeBuilder(int budget) {
        this.budget = budget;
    }

    /** Nodes so far. */
    public int size() {
        return tokens.size();
    }

    /** True when no more nodes fit. */
    public boolean full() {
        return tokens.size() >= budget;
    }

    /** The node for {@code token} under {@code parent} (-1 = root), added if new; -1 when the budget is spent. */
    public int child(int parent, int token) {
        long key = ((long) (parent + 1) << 32) | (token & 0xFFFFFFFFL);
        Integer existing = children.get(key);
        if (existing != null) {
            return existing;
        }
        if (full()) {
            return -1;
        }
        tokens.add(token);
        parents.add(parent);
        children.put(key, tokens.size() - 1);
        return tokens.size() - 1;
    }

    /** Inserts a path from the root; stops where the budget runs out. */
    public void addPath(int[] path) {
        int node = -1;
        for (int t : path) {
            node = child(node, t);
            if (node < 0) {
                return;
            }
        }
    }

    /** Inserts a whole tree (its nodes in topological order) from the root, sharing existing paths. */
    public void addTree(DraftTree t) {
        int[] map = new int[t.size()];
        for (int j = 0; j < t.size(); j++) {
            int p = t.parent(j) < 0 ? -1 : map[t.parent(j)];
            map[j] = t.parent(j) >= 0 && p < 0 ? -1 : child(p, t.token(j));
        }
    }

    /** The tree built so far. */
    public DraftTree build() {
        int n = tokens.size();
        int[] tk = new int[n];
        int[] pa = new int[n];
        for (int i = 0; i < n; i++) {
            tk[i] = tokens.get(i);
            pa[i] = parents.get(i);
        }
        return new DraftTree(tk, pa, new float[n][]);
    }
}
