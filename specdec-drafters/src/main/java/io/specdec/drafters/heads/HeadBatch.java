package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import io.specdec.train.TrainableLlama;
import java.util.SplittableRandom;

/**
 * One training batch as a head family sees it ({@link HeadArchitecture.Training#losses}): the frozen target's
 * outputs on a window of {@code T} tokens and the shared pieces of every family's loss. Shapes: {@code hidden}
 * {@code [B, T, D]} (the LM head's input at every position, gradient stopped), {@code targetLogits} {@code [B, T, V]},
 * {@code targets} {@code [B, T]} (token j+1 of the window at j, as float ids), {@code mask} {@code [B, T]}.
 *
 * @param manager where the batch's arrays live
 * @param target the frozen target (its embedding and LM head)
 * @param loss the run's loss settings
 * @param training true while training (input noise on), false while validating
 * @param noise the run's noise stream
 */
public record HeadBatch(NDManager manager, TrainableLlama target, NDArray hidden, NDArray targetLogits,
        NDArray targets, NDArray mask, HeadTrainer.Loss loss, boolean training, SplittableRandom noise) {
    /** Window length T. */
    public int length() {
        return (int) hidden.getShape().get(1);
    }

    /** The target's LM head {@code [V, D]} (the tied embedding when it has none). */
    public NDArray lmHead() {
        return target.parameters().containsKey("output") ? target.parameters().get("output")
                : target.parameters().get("embedding");
    }

    /** The target's embeddings of {@code targets[:, from : from + count]}: {@code [B, count, D]}. */
    public NDArray embedTargets(int from, int count) {
        return target.embed(manager, targets.get(new NDIndex(":, " + from + ":" + (from + count))));
    }

    /**
     * The loss of LM-head inputs {@code x} {@code [B, T-d, D]} at positions {@code 0 .. T-d-1} predicting the token
     * {@code d} places after the window position's successor ({@code targets[:, d:T]}), with the target's own
     * distribution there as the teacher (weight {@link HeadTrainer.Loss#teacherWeight}).
     *
     * @return {mean loss per token, data CE sum (nats), token count}
     */
    public NDArray[] depthLoss(NDArray x, int d) {
        int t = length();
        NDIndex ahead = new NDIndex(":, " + d + ":" + t);
        NDArray logp = Linear.linear(x, lmHead()).singletonOrThrow().logSoftmax(-1);                 // [B,T-d,V]
        return crossEntropy(logp, ahead);
    }

    /** {mean loss per token, data CE sum, count} of log-probabilities {@code logp} against the rows {@code ahead}. */
    NDArray[] crossEntropy(NDArray logp, NDIndex ahead) {
        NDArray mk = mask.get(ahead);
        NDArray labels = targets.get(ahead).toType(DataType.INT64, false).expandDims(-1);
        NDArray ce = logp.gather(labels, -1).squeeze(-1).mul(mk).sum().neg();
        NDArray n = mk.sum();
        NDArray lk = ce;
        if (loss.teacherWeight() > 0) {
            NDArray pT = targetLogits.get(ahead).softmax(-1);
            NDArray soft = logp.mul(pT).sum(new int[] {-1}).mul(mk).sum().neg();
            lk = ce.mul(1 - loss.teacherWeight()).add(soft.mul(loss.teacherWeight()));
        }
        return new NDArray[] {lk.div(n.maximum(1f)), ce, n};
    }
}
