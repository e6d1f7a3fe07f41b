/* bad-nodesc.c - a shared object without the descriptor symbol. */
int weft_plugin_typo = 1;
