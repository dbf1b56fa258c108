package dev.taskmesh.result;

import java.net.URI;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Where results are kept and how large they may be.
 *
 * @param storageDir        root folder of output files and logs: {@code <taskId>/<attempt>/files/<name>} and
 *                          {@code <taskId>/<attempt>/log.txt}
 * @param maxFileSize       largest output file accepted; larger uploads get 413
 * @param maxLogSize        largest attempt log accepted; larger uploads get 413
 * @param maxOutputJsonSize largest {@code result.json} inlined as {@code output} in the result JSON; a larger one
 *                          is still served as a file
 * @param taskServiceUrl    base URL of the task-service, asked with the caller's token who may read a task
 */
@ConfigurationProperties("taskmesh.results")
public record ResultsProperties(@DefaultValue("./data/results") Path storageDir,
                                @DefaultValue("1GB") DataSize maxFileSize,
                                @DefaultValue("64MB") DataSize maxLogSize,
                                @DefaultValue("16MB") DataSize maxOutputJsonSize,
                                @DefaultValue("http://127.0.0.1:8082") URI taskServiceUrl) {
}
