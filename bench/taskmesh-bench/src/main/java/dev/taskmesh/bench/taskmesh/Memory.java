package dev.taskmesh.bench.taskmesh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Resident memory (/proc/PID/status) and live heap (jcmd GC.run, then GC.heap_info) of a service JVM. */
final class Memory {

    private static final Pattern USED = Pattern.compile("total \\d+K, used (\\d+)K");

    static Map<String, Object> of(long pid) {
        Map<String, Object> out = new LinkedHashMap<>();
        // a full collection first, so that heap figures are the live set and not garbage waiting to be collected
        jcmd(pid, "GC.run");
        String heapInfo = jcmd(pid, "GC.heap_info");
        long usedKb = 0;
        for (String line : heapInfo.split("\n")) {
            Matcher m = USED.matcher(line);
            if (m.find() && !line.contains("Metaspace") && !line.contains("class space")) {
                usedKb += Long.parseLong(m.group(1));
            }
        }
        out.put("heap_used_mib", round(usedKb / 1024.0));
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    out.put("rss_mib", round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0));
                } else if (line.startsWith("Threads:")) {
                    out.put("threads", Long.parseLong(line.replaceAll("\\D", "")));
                }
            }
        } catch (IOException e) {
            out.put("rss_error", e.getMessage());
        }
        return out;
    }

    private static String jcmd(long pid, String command) {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        try {
            Process p = new ProcessBuilder(jcmd, String.valueOf(pid), command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return output;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    static double round(double value) {
        return Math.round(value * 10.0) / 10.0;
    }

    private Memory() {
    }
}
