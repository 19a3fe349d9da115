package io.specdec.drafters.specdecpp;

import java.util.ArrayList;
import java.util.List;

/**
 * Quality figures of an acceptance head on rows {@code [predicted acceptance, soft label, sampled outcome]}
 * ({@link AcceptanceHeadTrainer#evaluate}). Stateless.
 */
public final class Metrics {
    private Metrics() {}

    /**
     * AUC of the rejection prediction: the probability that a rejected row (outcome 0) scores a higher predicted
     * rejection {@code 1 − predicted} than an accepted one (rank statistic, ties counted half); NaN without both
     * classes.
     */
    public static double auc(List<float[]> rows) {
        List<float[]> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> Float.compare(1 - a[0], 1 - b[0]));
        double rankSum = 0;
        long pos = 0;
        long neg = 0;
        int i = 0;
        while (i < sorted.size()) {
            int j = i;
            while (j < sorted.size() && sorted.get(j)[0] == sorted.get(i)[0]) {
                j++;
            }
            double avgRank = (i + 1 + j) / 2.0;
            for (int k = i; k < j; k++) {
                if (sorted.get(k)[2] == 0f) {
                    rankSum += avgRank;
                    pos++;
                } else {
                    neg++;
                }
            }
            i = j;
        }
        return pos == 0 || neg == 0 ? Double.NaN : (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
