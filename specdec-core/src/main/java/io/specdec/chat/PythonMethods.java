package io.specdec.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} and {@code dict} methods for Jinjava, which otherwise calls Java methods: chat templates are
 * written for Python Jinja2 (Hugging Face renders them there) and call {@code content.strip()},
 * {@code role.startswith('a')}, {@code text.split('\n')}, {@code role.title()}, {@code message.get('x')},
 * {@code tool.items()}. Semantics follow Python 3's documentation of these methods. Stateless and thread-safe.
 */
final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(method instanceof String)) {
            return null;
        }
        String name = (String) method;
        Object[] p = params == null ? new Object[0] : params;
        Object r;
        if (base instanceof String) {
            r = string((String) base, name, p);
        } else if (base instanceof Map) {
            r = map((Map<?, ?>) base, name, p);
        } else {
            return null;
        }
        if (r == NO) {
            return null;
        }
        context.setPropertyResolved(true);
        return r;
    }

    private static final Object NO = new Object();

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static Object string(String s, String name, Object[] p) {
        switch (name) {
            case "strip":
                return p.length == 0 || p[0] == null ? s.strip() : rstrip(lstrip(s, str(p[0])), str(p[0]));
            case "lstrip":
                return p.length == 0 || p[0] == null ? s.stripLeading() : lstrip(s, str(p[0]));
            case "rstrip":
                return p.length == 0 || p[0] == null ? s.stripTrailing() : rstrip(s, str(p[0]));
            case "upper":
                return s.toUpperCase(java.util.Locale.ROOT);
            case "lower":
                return s.toLowerCase(java.util.Locale.ROOT);
            case "title":
                return title(s);
            case "capitalize":
                return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                        + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "startswith":
                return affix(s, p, true);
            case "endswith":
                return affix(s, p, false);
            case "split":
                return split(s, p.length > 0 ? p[0] : null, p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "rsplit":
                return rsplit(s, p.length > 0 ? p[0] : null, p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "splitlines": {
                List<String> lines = new ArrayList<>(List.of(s.split("\r\n|\r|\n", -1)));
                if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
                    lines.remove(lines.size() - 1); // Python: no empty last line after a final newline, [] for ""
                }
                return lines;
            }
            case "replace": {
                if (p.length < 2) {
                    return NO;
                }
                int count = p.length > 2 ? ((Number) p[2]).intValue() : -1;
                return replace(s, str(p[0]), str(p[1]), count);
            }
            case "find":
                return (long) s.indexOf(str(p[0]));
            case "rfind":
                return (long) s.lastIndexOf(str(p[0]));
            case "count": {
                String sub = str(p[0]);
                if (sub.isEmpty()) {
                    return (long) s.length() + 1;
                }
                long c = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                    c++;
                }
                return c;
            }
            case "join": {
                if (p.length != 1) {
                    return NO;
                }
                StringBuilder b = new StringBuilder();
                Iterator<?> it = iterate(p[0]);
                while (it.hasNext()) {
                    b.append(str(it.next()));
                    if (it.hasNext()) {
                        b.append(s);
                    }
                }
                return b.toString();
            }
            case "removeprefix":
                return s.startsWith(str(p[0])) ? s.substring(str(p[0]).length()) : s;
            case "removesuffix":
                return s.endsWith(str(p[0])) && !str(p[0]).isEmpty()
                        ? s.substring(0, s.length() - str(p[0]).length()) : s;
            case "isdigit":
                return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha":
                return !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum":
                return !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace":
                return !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "islower":
                return s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "isupper":
                return s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            default:
                return NO;
        }
    }

    private static Object map(Map<?, ?> m, String name, Object[] p) {
        switch (name) {
            case "get":
                if (p.length == 0) {
                    return NO;
                }
                return m.containsKey(p[0]) ? m.get(p[0]) : p.length > 1 ? p[1] : null;
            case "items": {
                List<List<Object>> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    items.add(List.of(e.getKey(), e.getValue() == null ? "" : e.getValue()));
                }
                return items;
            }
            case "keys":
                return new ArrayList<>(m.keySet());
            case "values":
                return new ArrayList<>(m.values());
            default:
                return NO;
        }
    }

    private static Iterator<?> iterate(Object o) {
        if (o instanceof Collection) {
            return ((Collection<?>) o).iterator();
        }
        if (o instanceof Object[]) {
            return List.of((Object[]) o).iterator();
        }
        return List.of(str(o)).iterator();
    }

    private static boolean affix(String s, Object[] p, boolean prefix) {
        if (p.length == 0) {
            return false;
        }
        Iterator<?> it = p[0] instanceof Collection || p[0] instanceof Object[] ? iterate(p[0])
                : List.of(str(p[0])).iterator();
        while (it.hasNext()) {
            String a = str(it.next());
            if (prefix ? s.startsWith(a) : s.endsWith(a)) {
                return true;
            }
        }
        return false;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) {
            j--;
        }
        return s.substring(0, j);
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    private static String replace(String s, String old, String rep, int count) {
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int i = s.indexOf(old, from);
            if (i < 0) {
                break;
            }
            b.append(s, from, i).append(rep);
            from = i + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) {
                    b.append(s.charAt(from));
                }
                from++;
            }
        }
        if (from <= s.length()) {
            b.append(s.substring(Math.min(from, s.length())));
        }
        return b.toString();
    }

    private static List<String> split(String s, Object sep, int max) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            String t = s.strip();
            if (t.isEmpty()) {
                return out;
            }
            String[] parts = max < 0 ? t.split("\\s+") : t.split("\\s+", max + 1);
            return new ArrayList<>(List.of(parts));
        }
        String d = str(sep);
        int from = 0;
        while (max < 0 || out.size() < max) {
            int i = s.indexOf(d, from);
            if (i < 0 || d.isEmpty()) {
                break;
            }
            out.add(s.substring(from, i));
            from = i + d.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> rsplit(String s, Object sep, int max) {
        if (max < 0 || sep == null) {
            return split(s, sep, max);
        }
        String d = str(sep);
        List<String> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < max) {
            int i = s.lastIndexOf(d, end - d.length());
            if (i < 0 || d.isEmpty()) {
                break;
            }
            out.add(0, s.substring(i + d.length(), end));
            end = i;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not ours: the next resolver sets values
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
