/**
 * Code both Java harnesses share (compiled into each through build-helper): PostgreSQL statistics, child processes,
 * command-line options, bounded waits.
 */
package dev.taskmesh.bench.common;
