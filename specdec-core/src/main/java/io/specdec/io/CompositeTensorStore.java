package io.specdec.io;

import io.specdec.format.CheckpointException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Several stores (the shards of one checkpoint) seen as one; a name present in two shards is an error. */
final class CompositeTensorStore implements TensorStore {
    private final Path path;
    private final List<TensorStore> parts;
    private final Map<String, TensorStore> owner = new LinkedHashMap<>();
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();

    CompositeTensorStore(Path path, List<TensorStore> parts) {
        this.path = path;
        this.parts = new ArrayList<>(parts);
        for (TensorStore s : parts) {
            for (TensorInfo t : s.tensors()) {
                if (owner.put(t.name(), s) != null) {
                    throw new CheckpointException(path + ": tensor '" + t.name() + "' appears in more than one shard");
                }
                infos.put(t.name(), t);
            }
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Collection<TensorInfo> tensors() {
        return infos.values();
    }

    @Override
    public TensorInfo find(String name) {
        return infos.get(name);
    }

    @Override
    public float[] readFloats(TensorInfo info) {
        TensorStore s = owner.get(info.name());
        if (s == null) {
            throw new CheckpointException(path + ": missing tensor '" + info.name() + "'");
        }
        return s.readFloats(info);
    }

    @Override
    public java.nio.ByteBuffer bytes(TensorInfo info) {
        TensorStore s = owner.get(info.name());
        if (s == null) {
            throw new CheckpointException(path + ": missing tensor '" + info.name() + "'");
        }
        return s.bytes(info);
    }

    @Override
    public AutoCloseable retain() {
        List<AutoCloseable> held = new ArrayList<>();
        for (TensorStore s : parts) {
            held.add(s.retain());
        }
        return () -> {
            for (AutoCloseable h : held) {
                h.close();
            }
        };
    }

    @Override
    public void close() {
        for (TensorStore s : parts) {
            s.close();
        }
    }
}
