package io.specdec.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The embedded demo (no shared folder needed): both models load, share one vocabulary, the project-trained
 * tokenizer round-trips any text (byte fallback included) and the target writes a story.
 */
class DemoModelsTest {
    @Test
    void targetAndDraftLoadWithOneVocabulary() {
        LoadedModel t = ModelLoader.load(DemoModels.target());
        LoadedModel d = ModelLoader.load(DemoModels.draft());
        assertEquals(512, t.config().vocabSize());
        assertEquals(t.config().vocabSize(), d.config().vocabSize());
        assertTrue(d.config().parameterCount() < t.config().parameterCount() / 2,
                "the draft is much smaller: " + d.config().parameterCount() + " vs " + t.config().parameterCount());
        SentencePieceBpeTokenizer tt = (SentencePieceBpeTokenizer) t.tokenizer();
        SentencePieceBpeTokenizer dt = (SentencePieceBpeTokenizer) d.tokenizer();
        for (int i = 0; i < tt.vocabSize(); i++) {
            assertEquals(tt.piece(i), dt.piece(i), "piece " + i);
        }
    }

    @Test
    void tokenizerRoundTripsPromptsAndUnseenCharacters() {
        Tokenizer tok = ModelLoader.load(DemoModels.target()).tokenizer();
        List<String> texts = new java.util.ArrayList<>(DemoModels.prompts());
        texts.add("Zoë's café — naïve 🙂 ½\ttabs\nand lines, 12345!");
        texts.add("\u4e2d\u6587 and ASCII");
        for (String s : texts) {
            int[] ids = tok.encode(s, false);
            assertEquals(s, tok.decode(ids), "round trip of '" + s + "'");
        }
        int[] story = tok.encode("Once upon a time, there was a little girl.", false);
        assertTrue(story.length <= 16, "frequent story words are single pieces: " + story.length + " tokens");
    }

    @Test
    void theTargetWritesAStory() {
        LoadedModel lm = ModelLoader.load(DemoModels.target());
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            GenerationResult r = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(GenerationConfig.builder().optMaxNewTokens(48).build()).build()
                    .generate("Once upon a time");
            assertTrue(r.ids().length > 8, r.text());
            assertTrue(r.text().contains(" "), "words: " + r.text());
            assertFalse(r.text().contains("\uFFFD"), "valid UTF-8: " + r.text());
        }
    }
}
