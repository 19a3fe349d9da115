package io.specdec.bench.cli;

import io.specdec.model.CausalLM;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
import io.specdec.speculation.LengthControllers;
import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The speculative options of {@code generate} and {@code bench}, discovered from the drafter registry
 * ({@link Drafters}): {@code --drafter NAME[,NAME...]}, {@code --controller}, and every option of every registered
 * drafter, added to the command at start-up (so a drafter registered from anywhere on the class path is usable without
 * touching the CLI). Rules: {@code --draft-model} alone selects the draft-model drafter (as llama.cpp's {@code -md});
 * any other drafter option without {@code --drafter} is an error, and so is an option no chosen drafter has.
 */
final class DrafterCli {
    @Option(names = "--drafter", split = ",", paramLabel = "NAME", description = "speculative decoding with these"
            + " drafters (bench: side by side); registered: ${sys:specdec.cli.drafters}")
    List<String> drafters;

    @Option(names = "--controller", paramLabel = "NAME", description = "draft-length controller: static (the"
            + " drafter's budget), static:K, heuristic, confidence, goodput, specdec++ (needs --acceptance-head),"
            + " specdec++:H, or all (bench; comma-separated lists too); default: static")
    String controller;

    @Option(names = "--acceptance-head", paramLabel = "PATH", description = "SpecDec++ acceptance head"
            + " (train-acceptance-head) for the draft model")
    java.nio.file.Path acceptanceHead;

    @Option(names = "--threshold", paramLabel = "H", description = "SpecDec++ stop threshold in (0, 1); default:"
            + " derived from the cost curve and the measured draft cost")
    Float threshold;

    @Option(names = "--k-min", paramLabel = "N", description = "SpecDec++: tokens always drafted; default 1")
    int kMin = 1;

    @Option(names = "--confidence", paramLabel = "P", description = "threshold of the confidence controller; default"
            + " 0.4")
    Float confidence;

    /** Option name → value given on the command line (drafter options only). */
    final Map<String, String> values = new LinkedHashMap<>();

    /** Adds every registered drafter option to {@code spec}, writing into {@code cli.values}. */
    static void register(CommandSpec spec, DrafterCli cli) {
        Map<String, List<DrafterProvider>> owners = Drafters.optionOwners();
        for (Map.Entry<String, List<DrafterProvider>> e : owners.entrySet()) {
            String name = e.getKey();
            DrafterOption first = null;
            List<String> who = new ArrayList<>();
            java.util.LinkedHashMap<String, List<String>> descs = new java.util.LinkedHashMap<>();
            for (DrafterProvider p : e.getValue()) {
                who.add(p.name());
                for (DrafterOption o : p.options()) {
                    if (o.name().equals(name)) {
                        first = first == null ? o : first;
                        String d = o.description() + (o.defaultValue() == null ? "" : "; default: " + o.defaultValue());
                        descs.computeIfAbsent(d, k -> new ArrayList<>()).add(p.name());
                    }
                }
            }
            boolean flag = first.kind() == DrafterOption.Kind.FLAG;
            String desc = descs.size() == 1 ? descs.keySet().iterator().next() + " [" + String.join(", ", who) + "]"
                    : String.join(" | ", descs.entrySet().stream().map(d -> String.join(", ", d.getValue()) + ": "
                            + d.getKey()).toList());
            OptionSpec.Builder b = OptionSpec.builder("--" + name).description(desc).paramLabel(first.kind().name())
                    .type(flag ? Boolean.class : String.class).arity(flag ? "0" : "1")
                    .setter(new CommandLine.Model.ISetter() {
                        @Override
                        public <T> T set(T value) {
                            if (value != null) {
                                cli.values.put(name, value.toString());
                            }
                            return null;
                        }
                    });
            spec.addOption(b.build());
        }
    }

    /** The drafters chosen, after the rules in the class comment; empty for plain decoding. */
    List<String> chosen(CommandLine cl) {
        List<String> names = new ArrayList<>();
        if (drafters != null) {
            names.addAll(drafters);
        } else if (values.containsKey("draft-model")) {
            names.add("draft-model");
        }
        Map<String, List<DrafterProvider>> owners = Drafters.optionOwners();
        for (String n : names) {
            try {
                Drafters.named(n);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
        }
        for (String opt : values.keySet()) {
            List<String> who = owners.get(opt).stream().map(DrafterProvider::name).toList();
            if (names.isEmpty()) {
                throw new CommandLine.ParameterException(cl, "--" + opt + " is an option of " + String.join(", ", who)
                        + ": choose the drafter with --drafter");
            }
            if (who.stream().noneMatch(names::contains)) {
                throw new CommandLine.ParameterException(cl, "--" + opt + " does not apply to drafter "
                        + String.join(", ", names) + " (it is an option of " + String.join(", ", who) + ")");
            }
        }
        if (names.isEmpty() && (controller != null || confidence != null)) {
            throw new CommandLine.ParameterException(cl, "--controller and --confidence need a drafter (--drafter)");
        }
        return names;
    }

    /** Controllers to run: the one given, every one for {@code all}, default static. */
    List<String> controllers(CommandLine cl, boolean allowAll) {
        String c = controller == null ? "static" : controller;
        if (c.equals("all")) {
            if (!allowAll) {
                throw new CommandLine.ParameterException(cl, "--controller all is for bench; generate runs one");
            }
            return LengthControllers.NAMES;
        }
        List<String> out = List.of(c.split(","));
        for (String x : out) {
            boolean ok = LengthControllers.NAMES.contains(x) || x.equals("specdec++")
                    || x.matches("static:[0-9]{1,3}") || x.matches("specdec\\+\\+:0?\\.[0-9]+");
            if (!ok) {
                throw new CommandLine.ParameterException(cl, "--controller must be one of " + LengthControllers.NAMES
                        + ", static:K, specdec++ or specdec++:H" + (allowAll ? " or all" : "") + "; found '" + x
                        + "'");
            }
            if (x.startsWith("specdec++") && acceptanceHead == null) {
                throw new CommandLine.ParameterException(cl, "--controller " + x + " needs --acceptance-head PATH");
            }
            if (x.startsWith("static:") && Integer.parseInt(x.substring(7)) < 1) {
                throw new CommandLine.ParameterException(cl, "--controller static:K needs K >= 1, found " + x);
            }
        }
        if (threshold != null && !(threshold > 0f && threshold < 1f)) {
            throw new CommandLine.ParameterException(cl, "--threshold must be in (0, 1), found " + threshold);
        }
        if (kMin < 1) {
            throw new CommandLine.ParameterException(cl, "--k-min must be >= 1, found " + kMin);
        }
        if (out.size() > 1 && !allowAll) {
            throw new CommandLine.ParameterException(cl, "generate runs one controller; found " + c);
        }
        if (confidence != null && !(confidence > 0f && confidence < 1f)) {
            throw new CommandLine.ParameterException(cl, "--confidence must be in (0, 1), found " + confidence);
        }
        return out;
    }

    /** A fresh controller of kind {@code name} for {@code setup} on {@code target} (cost curves cached there). */
    CandidateLengthController controller(String name, DrafterSetup setup, io.specdec.model.CausalLM target,
            java.nio.file.Path cacheDir) throws java.io.IOException {
        if (name.startsWith("static:")) {
            return LengthControllers.fixed(Integer.parseInt(name.substring(7)));
        }
        if (name.startsWith("specdec++")) {
            io.specdec.drafters.specdecpp.AcceptanceHead head = io.specdec.drafters.specdecpp.AcceptanceHead.load(
                    acceptanceHead);
            io.specdec.model.CausalLM draft = setup.resources().stream()
                    .filter(r -> r instanceof io.specdec.model.CausalLM).map(r -> (io.specdec.model.CausalLM) r)
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("--controller specdec++ needs the"
                            + " draft-model drafter (its head reads the draft model's hidden state); " + setup.name()
                            + " has no draft model"));
            head.requireDraft(draft.config(), acceptanceHead.toString());
            Float h = name.contains(":") ? Float.valueOf(name.substring(name.indexOf(':') + 1)) : threshold;
            return new io.specdec.drafters.specdecpp.ThresholdController(head, h, kMin, Math.max(kMin,
                    setup.budget()), io.specdec.speculation.CostCurve.cached(target, cacheDir, 5));
        }
        return name.equals("static") ? setup.controller().get()
                : LengthControllers.named(name, setup.budget(), confidence == null ? 0.4f : confidence);
    }

    /**
     * Builds each chosen drafter for {@code target} (option errors: usage, exit 2; other failures: exit 1). The
     * caller closes the setups.
     */
    List<DrafterSetup> setups(CommandLine cl, List<String> names, CausalLM target, Tokenizer tokenizer,
            List<String> calibration, Path cacheDir, java.io.PrintStream err) throws IOException {
        List<DrafterSetup> out = new ArrayList<>();
        try {
            for (String n : names) {
                DrafterProvider p = Drafters.named(n);
                Map<String, String> mine = new LinkedHashMap<>();
                for (DrafterOption o : p.options()) {
                    if (values.containsKey(o.name())) {
                        mine.put(o.name(), values.get(o.name()));
                    }
                }
                DrafterParams params;
                try {
                    params = new DrafterParams(n, p.options(), mine);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(cl, e.getMessage());
                }
                DrafterEnvironment env = new DrafterEnvironment(target, tokenizer, calibration, cacheDir, err::println);
                out.add(p.create(env, params));
            }
            return out;
        } catch (RuntimeException | IOException e) {
            out.forEach(DrafterSetup::close);
            throw e;
        }
    }
}
