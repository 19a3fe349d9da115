/**
 * Early-exit self-speculation (LayerSkip fixed exit, DEL dynamic exit with shadow-token acceptance) and its registration as {@code del}.
 */
package io.specdec.drafters.earlyexit;
