/** JobRunr, the JVM peer of the benchmark: a client that enqueues no-op jobs and background job server JVMs. */
package dev.taskmesh.bench.jobrunr;
