"""Regression on sequences: read a window of W steps, predict the next H values (MSE loss).

The encoder reads the window; one linear layer maps its summary (the state after the last step)
to all H·O future values at once ("direct multi-step" forecasting). The adding problem is the
case H = 1, O = 1: pass its targets (B,) as ``targets[None, :, None]`` (1, B, 1).
Book: chapter "Forecasting real series"; chapter "Backpropagation through time"
(the adding problem).
"""

import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.shapes import check_shape
from course_rnn.torch_nn.models.config import EncoderConfig
from course_rnn.torch_nn.models.encoder import SequenceEncoder, split_inputs
from course_rnn.training.batches import Output


class Forecaster(nn.Module):
    """Encoder, then a linear map from its summary to the next ``horizon`` steps.

    Args:
        input_size:  D, features per input step
        horizon:     H_out, steps to predict (written H in the data sets' docstrings)
        output_size: O, features per predicted step
        config:      EncoderConfig; bidirectional is allowed (the whole window is in the past)

    Inputs: x (W, B, D) float or (x, lengths); targets (H_out, B, O) float.

    Book: chapter "Forecasting real series".
    """

    def __init__(
        self,
        input_size: int,
        *,
        horizon: int = 1,
        output_size: int = 1,
        config: EncoderConfig | None = None,
    ):
        super().__init__()
        for name, value in (("input_size", input_size), ("horizon", horizon),
                            ("output_size", output_size)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Forecaster: {name} must be a positive int, got {value!r}")
        self.config = EncoderConfig() if config is None else config
        self.horizon, self.output_size = horizon, output_size
        self.encoder = SequenceEncoder(input_size, self.config)
        self.head = nn.Linear(self.encoder.output_size, horizon * output_size)

    def forward(self, inputs, targets: Tensor | None = None) -> Output:
        """Predict the next ``horizon`` steps of every sequence.

        Args:
            inputs:  x (W, B, D) float, or (x, lengths (B,))
            targets: (H_out, B, O) float, or None

        Returns:
            Output(logits: the predictions (H_out, B, O), loss: mean squared error or None)
        """
        x, lengths = split_inputs(inputs, "Forecaster")
        out, _ = self.encoder(x, lengths)  # (W, B, H·dirs)
        summary = self.encoder.summary(out, lengths)  # (B, H·dirs)
        B = summary.shape[0]
        pred = self.head(summary).reshape(B, self.horizon, self.output_size)  # (B, H_out, O)
        pred = pred.transpose(0, 1)  # (H_out, B, O): time-major
        if targets is None:
            return Output(pred, None)
        check_shape(targets, "H B O", name="targets", where="Forecaster",
                    H=self.horizon, B=B, O=self.output_size)  # fmt: skip
        return Output(pred, F.mse_loss(pred, targets))
