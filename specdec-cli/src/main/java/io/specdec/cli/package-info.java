/** The specdec command-line tool. */
package io.specdec.cli;
