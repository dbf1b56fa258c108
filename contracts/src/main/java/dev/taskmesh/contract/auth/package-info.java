/** Tokens: how people and agents obtain them and what they carry. */
@NullMarked
package dev.taskmesh.contract.auth;

import org.jspecify.annotations.NullMarked;
