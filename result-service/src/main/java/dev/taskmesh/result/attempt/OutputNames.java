package dev.taskmesh.result.attempt;

import dev.taskmesh.support.ApiException;
import java.util.regex.Pattern;

/**
 * Names of output files: the path of the file inside the agent's output folder, {@code /}-separated. Every
 * segment is plain (letters, digits, {@code . _ - } and space) and neither {@code .} nor {@code ..}, so a name
 * can never point outside the attempt's folder, on any file system.
 */
public final class OutputNames {

    public static final int MAX_LENGTH = 1024;

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._ -]{1,255}");

    /** Returns the name when it is acceptable, else throws 400 with the reason. */
    public static String check(String name) {
        if (name.isEmpty()) {
            throw ApiException.badRequest("File name is empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw ApiException.badRequest("File name is longer than " + MAX_LENGTH + " characters");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
                throw ApiException.badRequest("Invalid file name '" + name + "': each /-separated part must be 1 to"
                        + " 255 of A-Z a-z 0-9 . _ - and space, and not . or ..");
            }
        }
        return name;
    }

    private OutputNames() {
    }
}
