package io.specdec.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The CLI's JSON writer (compact, NaN-safe). */
final class Json {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    private Json() {}
}
