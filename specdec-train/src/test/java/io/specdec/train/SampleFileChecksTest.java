package io.specdec.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Vocabularies;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sample file records the fingerprint of the token table its ids belong to: samples of another tokenizer with the
 * same vocabulary size are refused with one line naming the file (what a new user tripped on: they were accepted),
 * appending with another tokenizer is refused, and files without a fingerprint (written before it was recorded) still
 * load.
 */
class SampleFileChecksTest {
    static SentencePieceBpeTokenizer tokenizer(String prefix, int n) {
        String[] p = new String[n];
        for (int i = 0; i < n; i++) {
            p[i] = prefix + i;
        }
        return new SentencePieceBpeTokenizer(p, new float[n], null, 1, 2, 0, true);
    }

    @Test
    void samplesOfAnotherTokenizerWithTheSameVocabularySizeAreRefused(@TempDir Path dir) throws Exception {
        SentencePieceBpeTokenizer a = tokenizer("a", 16);
        SentencePieceBpeTokenizer b = tokenizer("b", 16);
        int fa = Vocabularies.fingerprint(a);
        int fb = Vocabularies.fingerprint(b);
        assertNotEquals(fa, fb);
        assertEquals(fa, Vocabularies.fingerprint(tokenizer("a", 16)), "the same table gives the same fingerprint");
        Path f = dir.resolve("s.bin");
        try (SampleFile.Writer w = SampleFile.openForAppend(f, 16, 0, fa)) {
            w.write(new SampleFile.Sample(1, new int[] {1, 5, 7}));
        }
        SampleFile.Header h = SampleFile.header(f);
        assertEquals(fa, h.tokenizer());
        h.requireTokenizer(f, fa, "the target's tokenizer");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> h.requireTokenizer(f, fb, "the target's tokenizer"));
        assertEquals(f + ": samples were made with another tokenizer (token table fingerprint "
                + Integer.toHexString(fa) + ", the target's tokenizer has " + Integer.toHexString(fb)
                + "): the same vocabulary size, different tokens", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SampleFile.openForAppend(f, 16, 0, fb));
        assertTrue(e.getMessage().startsWith(f + ": samples were made with another tokenizer"), e.getMessage());
        // a file without a fingerprint (0) is checked by size only
        Path old = dir.resolve("old.bin");
        try (SampleFile.Writer w = SampleFile.openForAppend(old, 16, 0)) {
            w.write(new SampleFile.Sample(1, new int[] {1, 3}));
        }
        SampleFile.header(old).requireTokenizer(old, fb, "the target's tokenizer");
        assertEquals(List.of(3), List.of(SampleFile.read(old).get(0).ids()[1]));
    }

    /**
     * The fuzzer's "len < 0" (6 of 4.9 million mutants): a record whose length times top-k overflowed an int reached
     * the stream as a negative byte count. Record sizes are longs now and a record longer than the rest of the file
     * is the partial last record of a crash.
     */
    @Test
    void aRecordLongerThanTheRestOfTheFileIsAPartialLastRecord(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s.bin");
        try (SampleFile.Writer w = SampleFile.openForAppend(f, 512, 512)) {
            int[] ids = {1, 5};
            int[] top = new int[512];
            float[] lg = new float[512];
            for (int i = 0; i < 512; i++) {
                top[i] = i;
                lg[i] = -i;
            }
            w.write(new SampleFile.Sample(1, ids, top, lg));
        }
        // a second record of 2^20 + 1 ids, all present, whose 2^20 x 512 teacher logits are not: 4 bytes x 2^29 ids
        // is 2^31, which overflowed to a negative read length
        int l = (1 << 20) + 1;
        byte[] b = java.nio.file.Files.readAllBytes(f);
        java.nio.ByteBuffer more = java.nio.ByteBuffer.allocate(b.length + 8 + 4 * l)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        more.put(b).putInt(l).putInt(1);
        for (int i = 0; i < l; i++) {
            more.putInt(1);
        }
        java.nio.file.Files.write(f, more.array());
        List<SampleFile.Sample> all = SampleFile.read(f);
        assertEquals(1, all.size(), "the whole record, then the partial one dropped");
        assertEquals(5, all.get(0).ids()[1]);
    }
}
