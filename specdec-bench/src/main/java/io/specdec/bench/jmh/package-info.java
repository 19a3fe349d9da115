/** JMH microbenchmarks (short settings for 2-core machines; see each class). */
package io.specdec.bench.jmh;
