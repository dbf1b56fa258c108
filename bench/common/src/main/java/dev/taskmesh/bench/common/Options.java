package dev.taskmesh.bench.common;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} command-line options; the harnesses are started by bench/run.sh, not by people. */
public final class Options {

    private final Map<String, String> values = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    public Options(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) {
                values.put(args[i].substring(2), args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
    }

    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public String require(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    public int intValue(String name, int fallback) {
        return Integer.parseInt(get(name, String.valueOf(fallback)));
    }

    public List<Integer> intList(String name, String fallback) {
        List<Integer> list = new ArrayList<>();
        for (String part : get(name, fallback).split(",")) {
            if (!part.isBlank()) {
                list.add(Integer.parseInt(part.trim()));
            }
        }
        return list;
    }

    public List<String> positional() {
        return positional;
    }
}
