import com.sun.tools.attach.VirtualMachine;

/** Loads async-profiler into a running JVM with the given options: {@code java AttachProfiler.java PID LIB OPTIONS}. */
public class AttachProfiler {
    public static void main(String[] args) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgentPath(args[1], args[2]);
        } finally {
            vm.detach();
        }
    }
}
