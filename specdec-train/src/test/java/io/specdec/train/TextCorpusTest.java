package io.specdec.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stories cut out of sampled sequences, and the text file round trip. */
class TextCorpusTest {
    private static final SentencePieceBpeTokenizer TOK = BpeTrainer.train(List.of("Tom ran. The dog sat!",
            "Sue said \"hi.\" Then she went home"), 300, 1, null);

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void storiesAreCutAtBosAndTheCappedTailAtItsLastSentence() {
        int[] bos = {TOK.bosId()};
        int[] ids = concat(bos, TOK.encode("Tom ran. The dog sat!", false), bos,
                TOK.encode("Sue said \"hi.\" Then she went home", false));
        List<String> s = TextCorpus.stories(List.of(new SampleFile.Sample(1, ids)), TOK);
        assertEquals(List.of("Tom ran. The dog sat!", "Sue said \"hi.\""), s);
        int[] noEnd = concat(bos, TOK.encode("Then she went home", false));
        assertEquals(List.of(), TextCorpus.stories(List.of(new SampleFile.Sample(1, noEnd)), TOK),
                "a capped fragment without a sentence end is dropped");
    }

    @Test
    void textFilesRoundTripAndEncodeAddsBosAndEos(@TempDir Path dir) throws Exception {
        List<String> docs = List.of("Tom ran.", "The dog sat!\nSue said hi.");
        TextCorpus.write(dir.resolve("t.txt"), docs);
        assertEquals(docs, TextCorpus.read(dir.resolve("t.txt")));
        List<SampleFile.Sample> enc = TextCorpus.encode(docs, TOK, 1000);
        int[] first = enc.get(0).ids();
        assertEquals(TOK.bosId(), first[0]);
        assertEquals(TOK.eosId(), first[first.length - 1]);
        assertEquals("Tom ran.", TOK.decode(java.util.Arrays.copyOfRange(first, 1, first.length - 1)));
        assertEquals(4, TextCorpus.encode(docs, TOK, 4).get(1).ids().length, "cut to the maximum length");
    }
}
