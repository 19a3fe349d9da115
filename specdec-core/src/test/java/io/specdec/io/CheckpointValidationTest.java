package io.specdec.io;

import io.specdec.format.CheckpointException;
import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.testing.TestModels;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt, truncated and inconsistent checkpoints give a {@link CheckpointException} that names the problem — never
 * a JVM crash, an OutOfMemoryError or silent garbage. Files are produced by the project's writers and then damaged.
 */
class CheckpointValidationTest {
    @TempDir
    Path dir;
    private LlamaWeights weights;
    private SentencePieceBpeTokenizer tok;

    @BeforeEach
    void setUp() {
        LlamaConfig c = new LlamaConfig(32, 48, 2, 4, 2, 8, 32, 64, 1e-5f, 10000f, false, false, 1, 2);
        weights = TestModels.random(c, 3, 0.2f);
        tok = vocab(32);
    }

    private static SentencePieceBpeTokenizer vocab(int n) {
        String[] pieces = new String[n];
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "p" + i;
            scores[i] = -i;
        }
        return new SentencePieceBpeTokenizer(pieces, scores, null, 1, 2, 0, true);
    }

    private Path gguf() throws IOException {
        Path p = dir.resolve("m.gguf");
        CheckpointWriter.writeGguf(weights, tok, p);
        return p;
    }

    private static String fails(Path p) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelLoader.load(p));
        assertTrue(e.getMessage().contains(p.getFileName().toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String msg, String... parts) {
        for (String part : parts) {
            assertTrue(msg.contains(part), "'" + msg + "' should mention '" + part + "'");
        }
    }

    /** Position just after the first occurrence of {@code s} in the file. */
    private static int after(byte[] b, String s) {
        byte[] n = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= b.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (b[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i + n.length;
        }
        throw new IllegalStateException(s + " not found");
    }

    private static void patch(Path p, int at, long value, int width) throws IOException {
        byte[] b = Files.readAllBytes(p);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 4) {
            bb.putInt(at, (int) value);
        } else {
            bb.putLong(at, value);
        }
        Files.write(p, b);
    }

    @Test
    void validGgufLoads() throws IOException {
        LoadedModel m = ModelLoader.load(gguf());
        assertEquals(weights.config().dim(), m.config().dim());
        assertEquals("gguf", m.format());
    }

    @Test
    void ggufWrongMagic() throws IOException {
        Path p = gguf();
        patch(p, 0, 0x12345678, 4);
        assertContains(fails(p.resolveSibling("m.gguf")), "not a GGUF file");
    }

    @Test
    void ggufUnsupportedVersion() throws IOException {
        Path p = gguf();
        patch(p, 4, 1, 4);
        assertContains(fails(p), "unsupported GGUF version 1");
    }

    @Test
    void ggufTruncated() throws IOException {
        Path p = gguf();
        byte[] b = Files.readAllBytes(p);
        for (int keep : new int[] {10, 200, b.length / 2, b.length - 4}) {
            Files.write(p, Arrays.copyOf(b, keep));
            String msg = fails(p);
            assertTrue(msg.contains("truncated") || msg.contains("past the end") || msg.contains("impossible"), msg);
        }
    }

    @Test
    void ggufAbsurdCountsFailWithoutAllocating() throws IOException {
        Path p = gguf();
        patch(p, 8, 1L << 40, 8); // tensor_count
        assertContains(fails(p), "tensor_count", "impossible");
        p = gguf();
        patch(p, 16, Long.MAX_VALUE / 2, 8); // metadata_kv_count
        assertContains(fails(p), "metadata_kv_count", "impossible");
        p = gguf();
        byte[] b = Files.readAllBytes(p);
        int len = after(b, "tokenizer.ggml.tokens") + 4 + 4; // value type, element type → array length
        patch(p, len, 1L << 50, 8);
        assertContains(fails(p), "tokenizer.ggml.tokens", "impossible");
    }

    @Test
    void ggufOffsetPastEnd() throws IOException {
        Path p = gguf();
        byte[] b = Files.readAllBytes(p);
        int at = after(b, "blk.1.ffn_down.weight") + 4 + 2 * 8 + 4; // n_dims, ne[2], type → offset
        patch(p, at, 1L << 32, 8);
        assertContains(fails(p), "blk.1.ffn_down.weight", "past the end");
    }

    @Test
    void ggufUnsupportedTensorType() throws IOException {
        Path p = gguf();
        byte[] b = Files.readAllBytes(p);
        int at = after(b, "blk.0.attn_q.weight") + 4 + 2 * 8;
        patch(p, at, 10, 4);
        assertContains(fails(p), "unsupported ggml tensor type 10", "Q2_K", "blk.0.attn_q.weight");
        patch(p, at, 99, 4);
        assertContains(fails(p), "unsupported ggml tensor type 99");
    }

    @Test
    void ggufShapeMismatchAgainstConfig() throws IOException {
        Path p = gguf();
        byte[] b = Files.readAllBytes(p);
        int at = after(b, "llama.feed_forward_length") + 4; // value type → value
        patch(p, at, 40, 4);
        assertContains(fails(p), "ffn_gate.weight", "[48, 32]", "expected [40, 32]");
    }

    @Test
    void ggufMissingTensor() throws IOException {
        Path p = gguf();
        byte[] b = Files.readAllBytes(p);
        int at = after(b, "blk.1.ffn_up.weight");
        b[at - "p.weight".length()] = 'q'; // rename to blk.1.ffn_uq.weight
        Files.write(p, b);
        assertContains(fails(p), "missing tensor 'blk.1.ffn_up.weight'");
    }

    @Test
    void ggufTokenizerVocabularyMismatch() throws IOException {
        Path p = dir.resolve("m.gguf");
        CheckpointWriter.writeGguf(weights, vocab(30), p);
        assertContains(fails(p), "30 tokens", "32 rows", "vocabulary mismatch");
    }

    private Path hf() throws IOException {
        Path d = dir.resolve("hf");
        CheckpointWriter.writeHf(weights, d, GgmlType.BF16);
        return d;
    }

    /** Rewrites the JSON header of a safetensors file (data section unchanged). */
    private static void rewriteHeader(Path f, UnaryOperator<String> edit) throws IOException {
        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String json = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        byte[] nj = edit.apply(json).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + nj.length + b.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(nj.length).put(nj).put(b, 8 + (int) n, b.length - 8 - (int) n);
        Files.write(f, out.array());
    }

    @Test
    void validBf16HfDirectoryLoadsWithinBf16Precision() throws IOException {
        LoadedModel m = ModelLoader.load(hf());
        float[] a = m.weights().embedding();
        float[] e = weights.embedding();
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - e[i]) <= Math.abs(e[i]) * (1f / 128) + 1e-30, "bf16 widening");
        }
    }

    @Test
    void safetensorsTruncatedAndAbsurdHeader() throws IOException {
        Path f = hf().resolve("model.safetensors");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        assertContains(fails(f.getParent()), "truncated");
        Files.write(f, Arrays.copyOf(b, 5));
        assertContains(fails(f.getParent()), "truncated");
        Files.write(f, b);
        patch(f, 0, 1L << 60, 8);
        assertContains(fails(f.getParent()), "header length", "impossible");
    }

    @Test
    void safetensorsBadJsonDtypeOffsetsAndShape() throws IOException {
        Path d = hf();
        Path f = d.resolve("model.safetensors");
        byte[] orig = Files.readAllBytes(f);
        rewriteHeader(f, j -> j.replaceFirst("\\{", "["));
        assertContains(fails(d), "not valid JSON");
        Files.write(f, orig);
        rewriteHeader(f, j -> j.replaceFirst("\"BF16\"", "\"I8\""));
        assertContains(fails(d), "unsupported dtype I8");
        Files.write(f, orig);
        rewriteHeader(f, j -> j.replaceFirst("\"data_offsets\":\\[0,", "\"data_offsets\":[1000000000,"));
        assertContains(fails(d), "outside the data section");
        Files.write(f, orig);
        rewriteHeader(f, j -> j.replaceFirst("\"shape\":\\[32,32\\]", "\"shape\":[32,31]"));
        assertContains(fails(d), "needs");
    }

    @Test
    void hfConfigErrors() throws IOException {
        Path d = hf();
        Path cfg = d.resolve("config.json");
        String orig = Files.readString(cfg);
        Files.writeString(cfg, orig.replace("\"hidden_size\"", "\"hidden_sizeX\""));
        assertContains(fails(d), "missing key 'hidden_size'");
        Files.writeString(cfg, orig.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"));
        assertContains(fails(d), "kvHeads");
        Files.writeString(cfg, orig.replace("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\""));
        assertContains(fails(d), "unsupported model_type 'gpt2'");
        Files.writeString(cfg, orig.replace("\"intermediate_size\": 48", "\"intermediate_size\": 50"));
        assertContains(fails(d), "expected [50, 32]");
    }

    /** Values that used to surface as "/ by zero", "Index 0 out of bounds", "JsonNull", or were read wrapped. */
    @Test
    void hfConfigFieldsAreTypedAndRangeChecked() throws IOException {
        Path d = hf();
        Path cfg = d.resolve("config.json");
        String orig = Files.readString(cfg);
        String heads = orig.replaceAll("\"num_attention_heads\": \\d+", "\"num_attention_heads\": %s");
        Files.writeString(cfg, String.format(heads, "0"));
        assertContains(fails(d), "num_attention_heads: expected an integer in 1..1024, found 0");
        Files.writeString(cfg, String.format(heads, "4294967304"));
        assertContains(fails(d), "num_attention_heads: expected an integer in 1..1024, found 4294967304");
        Files.writeString(cfg, String.format(heads, "4.5"));
        assertContains(fails(d), "num_attention_heads: expected an integer");
        Files.writeString(cfg, String.format(heads, "\"4\""));
        assertContains(fails(d), "num_attention_heads: expected an integer");
        Files.writeString(cfg, orig.replaceAll("\"eos_token_id\": \\d+", "\"eos_token_id\": []"));
        assertContains(fails(d), "eos_token_id: expected a token id or a non-empty list of them, found []");
        Files.writeString(cfg, orig.replace("\"model_type\": \"llama\"", "\"model_type\": null"));
        assertContains(fails(d), "model_type: expected a string, found null");
        Files.writeString(cfg, orig.replaceAll("\"rms_norm_eps\": [^,}]+", "\"rms_norm_eps\": -1"));
        assertContains(fails(d), "rms_norm_eps: expected a number in");
    }

    @Test
    void devicesAndFoldersThatAreNotCheckpointsAreNamed() {
        Path zero = Path.of("/dev/zero");
        if (Files.exists(zero)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ModelLoader.load(zero));
            assertContains(e.getMessage(), "/dev/zero: not a regular file");
        }
    }

    @Test
    void writtenFilesAreReadableByOthersAndErrorsNameTheTarget() throws IOException {
        Path p = gguf();
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(p)));
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where a folder should be");
        Path target = blocker.resolve("m.gguf");
        IOException e = assertThrows(IOException.class, () -> CheckpointWriter.writeGguf(weights, tok, target));
        assertContains(e.getMessage(), "cannot write " + target);
    }

    @Test
    void shardIndexErrors() throws IOException {
        Path d = hf();
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"model-00002-of-00002.safetensors\"}}");
        assertContains(fails(d), "model-00002-of-00002.safetensors", "not a readable file");
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"../etc/passwd\"}}");
        assertContains(fails(d), "plain file name");
    }

    private Path llama2c() throws IOException {
        LlamaConfig c = weights.config();
        Path p = dir.resolve("model.bin");
        LlamaWeights w = weights;
        int n = 7 + c.vocabSize() * c.dim() + c.layers() * (2 * c.dim() + 2 * c.dim() * c.qDim()
                + 2 * c.dim() * c.kvDim() + 3 * c.dim() * c.hiddenDim()) + c.dim() + c.contextLength() * c.headDim()
                + c.vocabSize() * c.dim();
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.layers()).putInt(c.heads()).putInt(c.kvHeads())
                .putInt(-c.vocabSize()).putInt(c.contextLength());
        put(b, w.embedding());
        w.layers().forEach(l -> put(b, l.attnNorm()));
        w.layers().forEach(l -> put(b, LlamaWeights.unpermuteRows(l.wq(), c.heads(), c.headDim(), c.dim())));
        w.layers().forEach(l -> put(b, LlamaWeights.unpermuteRows(l.wk(), c.kvHeads(), c.headDim(), c.dim())));
        w.layers().forEach(l -> put(b, l.wv()));
        w.layers().forEach(l -> put(b, l.wo()));
        w.layers().forEach(l -> put(b, l.ffnNorm()));
        w.layers().forEach(l -> put(b, l.wGate()));
        w.layers().forEach(l -> put(b, l.wDown()));
        w.layers().forEach(l -> put(b, l.wUp()));
        put(b, w.finalNorm());
        put(b, new float[c.contextLength() * c.headDim()]);
        put(b, w.output());
        Files.write(p, b.array());
        ByteBuffer t = ByteBuffer.allocate(4 + 32 * 16).order(ByteOrder.LITTLE_ENDIAN);
        t.putInt(8);
        for (int i = 0; i < 32; i++) {
            byte[] s = tok.piece(i).getBytes(StandardCharsets.UTF_8);
            t.putFloat(tok.score(i)).putInt(s.length).put(s);
        }
        Files.write(dir.resolve("tokenizer.bin"), Arrays.copyOf(t.array(), t.position()));
        return p;
    }

    private static void put(ByteBuffer b, float[] a) {
        for (float f : a) {
            b.putFloat(f);
        }
    }

    @Test
    void llama2cRoundTripAndErrors() throws IOException {
        Path p = llama2c();
        LoadedModel m = ModelLoader.load(p);
        assertEquals("llama2c", m.format());
        assertTrue(Arrays.equals(weights.layers().get(1).wq(), m.weights().layers().get(1).wq()),
                "interleaved → half-split conversion restores the original rows");
        byte[] b = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(b, b.length - 8));
        assertContains(fails(p), "truncated");
        Files.write(p, Arrays.copyOf(b, 12));
        assertContains(fails(p), "truncated");
        Files.write(p, b);
        patch(p, 12, 0, 4); // n_heads = 0
        assertContains(fails(p), "n_heads");
        Files.write(p, b);
        patch(p, 20, -64, 4); // vocab 64: tokenizer has 32
        String msg = fails(p);
        assertTrue(msg.contains("truncated") || msg.contains("vocabulary"), msg);
    }
}
