package io.specdec.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The package import graph of every specdec module on this test's class path (the reactor's {@code target/classes}
 * or the installed jars), as the JDK's {@code jdeps} reads it from the bytecode, has no cycle: every strongly
 * connected component is a single package. A cycle's packages and the edges inside it are named on failure.
 */
class PackageCyclesTest {
    private static final Pattern EDGE = Pattern.compile("^\\s+(io\\.specdec[\\w.]*)\\s+->\\s+(io\\.specdec[\\w.]*)\\s");

    @Test
    void thePackageImportGraphHasNoCycle() {
        List<String> roots = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String n = e.replace('\\', '/');
            boolean reactor = n.matches(".*/specdec-[a-z]+/target/classes/?");
            boolean jar = n.matches(".*/specdec-[a-z]+-[^/]*\\.jar") && !n.endsWith("-tests.jar");
            if ((reactor || jar) && new File(e).exists()) {
                roots.add(e);
            }
        }
        assertTrue(roots.size() >= 5, "expected the specdec modules on the class path, found " + roots);
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        List<String> args = new ArrayList<>(List.of("-verbose:package", "-filter:none", "-e", "io\\.specdec\\..*"));
        args.addAll(roots);
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(new StringWriter()), args.toArray(new String[0]));
        assertEquals(0, rc, "jdeps failed: " + out);
        Map<String, Set<String>> graph = new TreeMap<>();
        int edges = 0;
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                edges += graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2)) ? 1 : 0;
                graph.computeIfAbsent(m.group(2), k -> new TreeSet<>());
            }
        }
        assertTrue(graph.size() >= 15 && edges >= 30, "jdeps output not understood: " + graph.size() + " packages, "
                + edges + " edges");
        List<Set<String>> cycles = new ArrayList<>();
        for (Set<String> c : components(graph)) {
            if (c.size() > 1) {
                cycles.add(c);
            }
        }
        StringBuilder why = new StringBuilder();
        for (Set<String> c : cycles) {
            why.append("\ncycle ").append(c).append(':');
            for (String a : c) {
                for (String b : graph.get(a)) {
                    if (c.contains(b)) {
                        why.append("\n  ").append(a).append(" -> ").append(b);
                    }
                }
            }
        }
        System.out.printf("[packages] %d packages, %d import edges, %d cycles%n", graph.size(), edges,
                cycles.size());
        assertTrue(cycles.isEmpty(), "package cycles:" + why);
    }

    /** Tarjan's strongly connected components (iterative). */
    static List<Set<String>> components(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String start : g.keySet()) {
            if (index.containsKey(start)) {
                continue;
            }
            Deque<Object[]> work = new ArrayDeque<>();
            work.push(new Object[] {start, new ArrayList<>(g.get(start)).iterator()});
            index.put(start, next[0]);
            low.put(start, next[0]++);
            stack.push(start);
            onStack.add(start);
            while (!work.isEmpty()) {
                Object[] top = work.peek();
                String v = (String) top[0];
                @SuppressWarnings("unchecked")
                java.util.Iterator<String> it = (java.util.Iterator<String>) top[1];
                if (it.hasNext()) {
                    String w = it.next();
                    if (!index.containsKey(w)) {
                        index.put(w, next[0]);
                        low.put(w, next[0]++);
                        stack.push(w);
                        onStack.add(w);
                        work.push(new Object[] {w, new ArrayList<>(g.get(w)).iterator()});
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                } else {
                    work.pop();
                    if (!work.isEmpty()) {
                        String parent = (String) work.peek()[0];
                        low.put(parent, Math.min(low.get(parent), low.get(v)));
                    }
                    if (low.get(v).equals(index.get(v))) {
                        Set<String> c = new TreeSet<>();
                        String w;
                        do {
                            w = stack.pop();
                            onStack.remove(w);
                            c.add(w);
                        } while (!w.equals(v));
                        out.add(c);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void componentsFindsACycleAndLeavesADagAlone() {
        Map<String, Set<String>> g = new TreeMap<>();
        g.put("a", new TreeSet<>(Set.of("b")));
        g.put("b", new TreeSet<>(Set.of("c")));
        g.put("c", new TreeSet<>(Set.of("a", "d")));
        g.put("d", new TreeSet<>());
        List<Set<String>> c = components(g);
        assertTrue(c.contains(Set.of("a", "b", "c")), c.toString());
        assertTrue(c.contains(Set.of("d")), c.toString());
        assertEquals(2, c.size());
    }
}
