/* Where the application's inputs come from: tensor_input.c (the input tensor
 * from the board) or, for firmware built with --audio, audio_input.c (raw PCM
 * through the frontend). The build links one of them with main.c. */
#ifndef TML_APP_INPUT_H
#define TML_APP_INPUT_H

/* Fill the model's input for the next inference: 1 when filled, 0 when there
 * is no more input. */
int app_read_input(void);

#endif
