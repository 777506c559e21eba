/*
 * line_buffer.c - a line buffer's bytes handed to its FILE (line_buffer.h).
 */
#include "line_buffer.h"

#include <errno.h>

void line_buffer_write(line_buffer *b, const void *s, size_t len)
{
    errno = 0;
    fwrite(s, 1, len, b->out);
    if (ferror(b->out) && !b->write_error)
        b->write_error = errno ? errno : EIO;
}

void line_buffer_flush(line_buffer *b)
{
    if (b->used)
        line_buffer_write(b, b->bytes, b->used);
    b->used = 0;
}
