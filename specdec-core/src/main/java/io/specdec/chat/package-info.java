/** Chat: messages, the model's own Jinja chat template, built-in templates for checkpoints without one. */
package io.specdec.chat;
