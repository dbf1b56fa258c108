/** Real infrastructure for tests, never mocks. */
@NullMarked
package dev.taskmesh.testsupport;

import org.jspecify.annotations.NullMarked;
