package io.specdec.drafters.recycling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The static draft-tree shape Token Recycling fills from its adjacency matrix: nodes in priority (BFS) order, each a
 * path of sibling ranks from the root ({@code [0, 2]} = the third candidate of the first candidate). A node's token is
 * {@code M[token(parent)][rank]}. {@link #paper()} is the 80-node, 6-level template of Luo et al. 2024 (level widths
 * 8, 21, 25, 15, 8, 3; template "2.2.2" of the reference code); others can be built with {@link #full} or
 * {@link #parse}. Immutable.
 */
public final class TreeTemplate {
    private final int[] parents;
    private final int[] ranks;
    private final int[] depths;

    private TreeTemplate(List<int[]> paths) {
        parents = new int[paths.size()];
        ranks = new int[paths.size()];
        depths = new int[paths.size()];
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            int[] p = paths.get(i);
            if (p.length == 0) {
                throw new IllegalArgumentException("template node " + i + " has an empty rank path");
            }
            for (int r : p) {
                if (r < 0) {
                    throw new IllegalArgumentException("template node " + i + " has a negative rank");
                }
            }
            String parentKey = Arrays.toString(Arrays.copyOf(p, p.length - 1));
            Integer parent = p.length == 1 ? Integer.valueOf(-1) : index.get(parentKey);
            if (parent == null) {
                throw new IllegalArgumentException("template node " + Arrays.toString(p) + " comes before its parent "
                        + parentKey);
            }
            if (index.put(Arrays.toString(p), i) != null) {
                throw new IllegalArgumentException("template node " + Arrays.toString(p) + " appears twice");
            }
            parents[i] = parent;
            ranks[i] = p[p.length - 1];
            depths[i] = p.length;
        }
    }

    /** Builds a template from rank paths in priority order (every path's prefix must come earlier). */
    public static TreeTemplate of(List<int[]> paths) {
        return new TreeTemplate(paths);
    }

    /**
     * Parses "0;1;0,0;0,1;..." (rank paths separated by ';', ranks by ',').
     */
    public static TreeTemplate parse(String spec) {
        List<int[]> paths = new ArrayList<>();
        for (String node : spec.split(";")) {
            if (!node.isBlank()) {
                paths.add(Arrays.stream(node.trim().split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray());
            }
        }
        return new TreeTemplate(paths);
    }

    /** Every node has {@code width} children down to {@code depth} levels, in BFS order. */
    public static TreeTemplate full(int depth, int width) {
        List<int[]> paths = new ArrayList<>();
        List<int[]> level = new ArrayList<>();
        level.add(new int[0]);
        for (int d = 0; d < depth; d++) {
            List<int[]> next = new ArrayList<>();
            for (int[] p : level) {
                for (int r = 0; r < width; r++) {
                    int[] c = Arrays.copyOf(p, p.length + 1);
                    c[p.length] = r;
                    next.add(c);
                }
            }
            paths.addAll(next);
            level = next;
        }
        return new TreeTemplate(paths);
    }

    /** The paper's 80-node template (Luo et al. 2024, Figure/Appendix; reference template "2.2.2"). */
    public static TreeTemplate paper() {
        return parse(String.join(";",
                "0;1;2;3;4;5;6;7",
                "0,0;0,1;0,2;0,3;0,4;0,5;0,6;0,7;1,0;1,1;1,2;1,3;2,0;2,1;2,2;3,0;3,1;4,0;5,0;6,0;7,0",
                "0,0,0;0,0,1;0,0,2;0,0,3;0,0,4;0,0,5;0,0,6;0,0,7;0,1,0;0,1,1;0,1,2;0,2,0;0,2,1;0,3,0;0,4,0;0,5,0;"
                        + "0,6,0;0,7,0;1,0,0;1,0,1;1,1,0;2,0,0;3,0,0;4,0,0;5,0,0",
                "0,0,0,0;0,0,0,1;0,0,0,2;0,0,0,3;0,0,0,4;0,0,1,0;0,0,1,1;0,0,2,0;0,0,3,0;0,0,4,0;0,1,0,0;0,2,0,0;"
                        + "1,0,0,0;2,0,0,0;3,0,0,0",
                "0,0,0,0,0;0,0,0,0,1;0,0,0,0,2;0,0,0,1,0;0,0,0,2,0;0,0,1,0,0;0,1,0,0,0;1,0,0,0,0",
                "0,0,0,0,0,0;0,0,0,0,0,1;0,0,0,1,0,0"));
    }

    public int size() {
        return parents.length;
    }

    /** Parent of node i ({@code -1} = root). */
    public int parent(int i) {
        return parents[i];
    }

    /** Sibling rank of node i (the column of the adjacency row it reads). */
    public int rank(int i) {
        return ranks[i];
    }

    public int depth(int i) {
        return depths[i];
    }

    /** Largest rank used (+1): the adjacency matrix must keep at least this many candidates per row. */
    public int width() {
        int w = 0;
        for (int r : ranks) {
            w = Math.max(w, r + 1);
        }
        return w;
    }

    /** Nodes per depth (index 0 = depth 1). */
    public int[] levelWidths() {
        int max = 0;
        for (int d : depths) {
            max = Math.max(max, d);
        }
        int[] w = new int[max];
        for (int d : depths) {
            w[d - 1]++;
        }
        return w;
    }
}
