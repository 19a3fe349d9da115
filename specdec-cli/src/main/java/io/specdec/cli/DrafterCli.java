package io.specdec.cli;

import io.specdec.model.CausalLM;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
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

    @Option(names = "--controller", paramLabel = "NAME", description = "draft-length controller (registered:"
            + " ${sys:specdec.cli.controllers}; NAME:VALUE sets its main option): static (the drafter's budget),"
            + " static:K, heuristic, confidence[:P], goodput, specdec++[:H] (needs --acceptance-head), or all (bench:"
            + " every one whose required options are given; comma-separated lists too); default: static")
    String controller;

    /** Option name → value given on the command line (drafter options only). */
    final Map<String, String> values = new LinkedHashMap<>();

    /** Option name → value of the controller options given on the command line. */
    final Map<String, String> controllerValues = new LinkedHashMap<>();

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
                    .setter(into(cli.values, name));
            spec.addOption(b.build());
        }
        // every registered controller's options, except names a drafter option already has (those are reachable
        // through the controller's NAME:VALUE short form)
        Map<String, List<String>> controllerOwners = new LinkedHashMap<>();
        Map<String, DrafterOption> firstOption = new LinkedHashMap<>();
        for (io.specdec.speculation.ControllerProvider p : io.specdec.speculation.Controllers.providers()) {
            for (DrafterOption o : p.options()) {
                if (owners.containsKey(o.name())) {
                    continue;
                }
                controllerOwners.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(p.name());
                firstOption.putIfAbsent(o.name(), o);
            }
        }
        for (Map.Entry<String, List<String>> e : controllerOwners.entrySet()) {
            String name = e.getKey();
            DrafterOption o = firstOption.get(name);
            boolean flag = o.kind() == DrafterOption.Kind.FLAG;
            spec.addOption(OptionSpec.builder("--" + name).description(o.description() + (o.defaultValue() == null
                    ? "" : "; default: " + o.defaultValue()) + " [controller " + String.join(", ", e.getValue())
                    + "]").paramLabel(o.kind().name()).type(flag ? Boolean.class : String.class).arity(flag ? "0" : "1")
                    .setter(into(cli.controllerValues, name)).build());
        }
    }

    /** A picocli setter that records a given option's value as text under {@code name}. */
    private static CommandLine.Model.ISetter into(Map<String, String> values, String name) {
        return new CommandLine.Model.ISetter() {
            @Override
            public <T> T set(T value) {
                if (value != null) {
                    values.put(name, value.toString());
                }
                return null;
            }
        };
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
        if (names.isEmpty() && controller != null) {
            throw new CommandLine.ParameterException(cl, "--controller needs a drafter (--drafter)");
        }
        if (names.isEmpty() && !controllerOptions().isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--" + controllerOptions().keySet().iterator().next()
                    + " is a controller option and needs a drafter (--drafter) and its --controller");
        }
        return names;
    }

    /** Controllers to run: the one given, every one for {@code all}, default static. */
    List<String> controllers(CommandLine cl, boolean allowAll) {
        String c = controller == null ? "static" : controller;
        if (c.equals("all") && !allowAll) {
            throw new CommandLine.ParameterException(cl, "--controller all is for bench; generate runs one");
        }
        List<String> out = c.equals("all") ? allGiven() : List.of(c.split(","));
        if (out.size() > 1 && !allowAll) {
            throw new CommandLine.ParameterException(cl, "generate runs one controller; found " + c);
        }
        Map<String, String> given = controllerOptions();
        for (String opt : given.keySet()) {
            boolean used = false;
            for (String x : out) {
                used |= declares(cl, x, opt);
            }
            if (!used) {
                throw new CommandLine.ParameterException(cl, "--" + opt + " does not apply to --controller " + c
                        + " (it belongs to " + owners(opt) + ")");
            }
        }
        for (String x : out) {
            try {
                io.specdec.speculation.Controllers.params(x, optionsFor(cl, x));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
        }
        return out;
    }

    /** The controller flags given on the command line, as registry options. */
    private Map<String, String> controllerOptions() {
        return controllerValues;
    }

    /** {@code --controller all}: every registered controller whose required options are given. */
    private List<String> allGiven() {
        List<String> out = new ArrayList<>();
        for (io.specdec.speculation.ControllerProvider p : io.specdec.speculation.Controllers.providers()) {
            if (p.options().stream().filter(DrafterOption::required).allMatch(o -> controllerValues.containsKey(
                    o.name()))) {
                out.add(p.name());
            }
        }
        return out;
    }

    private static boolean declares(CommandLine cl, String controller, String option) {
        try {
            return io.specdec.speculation.Controllers.named(controller).options().stream()
                    .anyMatch(o -> o.name().equals(option));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--controller: " + e.getMessage());
        }
    }

    private static String owners(String option) {
        List<String> who = new ArrayList<>();
        for (io.specdec.speculation.ControllerProvider p : io.specdec.speculation.Controllers.providers()) {
            if (p.options().stream().anyMatch(o -> o.name().equals(option))) {
                who.add(p.name());
            }
        }
        return "controller " + String.join(", ", who);
    }

    /** The given controller flags that {@code controller} declares. */
    private Map<String, String> optionsFor(CommandLine cl, String controller) {
        Map<String, String> m = new LinkedHashMap<>();
        controllerOptions().forEach((k, v) -> {
            if (declares(cl, controller, k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    /**
     * A controller factory (one per request) of kind {@code name} for {@code setup} on {@code target} (cost curves
     * cached there).
     */
    java.util.function.Supplier<CandidateLengthController> controller(String name, DrafterSetup setup, io.specdec.model.CausalLM target,
            java.nio.file.Path cacheDir) throws java.io.IOException {
        return io.specdec.speculation.Controllers.create(name, optionsFor(null, name),
                new io.specdec.speculation.ControllerContext(setup, target, cacheDir));
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
