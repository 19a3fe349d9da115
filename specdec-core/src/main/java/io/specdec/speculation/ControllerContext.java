package io.specdec.speculation;

import io.specdec.model.CausalLM;
import java.nio.file.Path;

/**
 * What a {@link ControllerProvider} may build a controller from.
 *
 * @param setup the drafter the controller will pace (its budget, and typed capabilities such as
 *     {@link DrafterSetup#draftModel()})
 * @param target the target model (cost curves are measured on it)
 * @param cacheDir where measured cost curves are cached
 */
public record ControllerContext(DrafterSetup setup, CausalLM target, Path cacheDir) {}
