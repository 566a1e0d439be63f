"""The board's own inputs: a PIR presence sensor and a staff button, behind one Protocol.

gpiozero on a Raspberry Pi, Jetson.GPIO on a Jetson, a simulated backend
elsewhere (and in tests). Chosen once by `open_board_inputs()`, which logs it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Protocol

from runtime.shared.board import board_kind, board_model  # noqa: F401  (re-exported for the bridge's users)

_LOGGER = logging.getLogger(__name__)
PresenceCallback = Callable[[bool], None]
ButtonCallback = Callable[[], None]


class BoardInputs(Protocol):
    name: str

    def on_presence(self, callback: PresenceCallback) -> None: ...

    def on_button(self, callback: ButtonCallback) -> None: ...

    def close(self) -> None: ...


class SimulatedInputs:
    name = "simulated"

    def __init__(self) -> None:
        self._presence: list[PresenceCallback] = []
        self._button: list[ButtonCallback] = []

    def on_presence(self, callback: PresenceCallback) -> None:
        self._presence.append(callback)

    def on_button(self, callback: ButtonCallback) -> None:
        self._button.append(callback)

    def set_presence(self, present: bool) -> None:
        for callback in self._presence:
            callback(present)

    def press(self) -> None:
        for callback in self._button:
            callback()

    def close(self) -> None:
        self._presence.clear()
        self._button.clear()


class GpioZeroInputs:
    """Raspberry Pi: gpiozero's MotionSensor (PIR) and Button (BCM pin numbers)."""

    name = "gpiozero"

    def __init__(self, pir_pin: int, button_pin: int):
        from gpiozero import Button, MotionSensor
        self._pir = MotionSensor(pir_pin)
        self._button = Button(button_pin)

    def on_presence(self, callback: PresenceCallback) -> None:
        self._pir.when_motion = lambda: callback(True)
        self._pir.when_no_motion = lambda: callback(False)

    def on_button(self, callback: ButtonCallback) -> None:
        self._button.when_pressed = callback

    def close(self) -> None:
        self._pir.close()
        self._button.close()


class JetsonGpioInputs:
    """Jetson: Jetson.GPIO edge detection (BOARD pin numbers)."""

    name = "jetson-gpio"

    def __init__(self, pir_pin: int, button_pin: int):
        import Jetson.GPIO as GPIO
        self._gpio = GPIO
        GPIO.setmode(GPIO.BOARD)
        GPIO.setup([pir_pin, button_pin], GPIO.IN)
        self._pins = (pir_pin, button_pin)

    def on_presence(self, callback: PresenceCallback) -> None:
        pin = self._pins[0]
        self._gpio.add_event_detect(pin, self._gpio.BOTH,
                                    callback=lambda ch: callback(bool(self._gpio.input(ch))), bouncetime=50)

    def on_button(self, callback: ButtonCallback) -> None:
        self._gpio.add_event_detect(self._pins[1], self._gpio.FALLING, callback=lambda ch: callback(),
                                    bouncetime=200)

    def close(self) -> None:
        self._gpio.cleanup(list(self._pins))


def open_board_inputs(pir_pin: int = 17, button_pin: int = 27, kind: str | None = None) -> BoardInputs:
    kind = kind or board_kind()
    inputs: BoardInputs
    try:
        if kind == "raspberry-pi":
            inputs = GpioZeroInputs(pir_pin, button_pin)
        elif kind == "jetson":
            inputs = JetsonGpioInputs(pir_pin, button_pin)
        else:
            inputs = SimulatedInputs()
    except (ImportError, RuntimeError, OSError) as err:
        _LOGGER.warning("board inputs on %s unavailable (%s): using the simulated backend", kind, err)
        inputs = SimulatedInputs()
    _LOGGER.info("board inputs: %s", inputs.name)
    return inputs
