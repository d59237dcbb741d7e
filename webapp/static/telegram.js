// The bridge to the Telegram client around the page, without Telegram's own script (see
// docs/decisions.md): the same messages its telegram-web-app.js exchanges. A phone's
// client calls window.Telegram.WebView.receiveEvent and offers TelegramWebviewProxy; the
// web client talks to its iframe with postMessage. Outside Telegram nothing is sent.
"use strict";

const Tg = (() => {
  const handlers = {};
  const framed = window.parent !== window;
  const WEB_CLIENT = "https://web.telegram.org";

  function post(eventType, eventData) {
    const data = eventData === undefined ? "" : JSON.stringify(eventData);
    if (window.TelegramWebviewProxy !== undefined) {
      window.TelegramWebviewProxy.postEvent(eventType, data);
    } else if (framed) {
      window.parent.postMessage(JSON.stringify({ eventType, eventData }), WEB_CLIENT);
    }
  }

  function receive(eventType, eventData) {
    for (const handler of handlers[eventType] || []) handler(eventData || {});
  }

  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = { receiveEvent: receive };
  if (framed) {
    window.addEventListener("message", (event) => {
      if (event.source !== window.parent || event.origin !== WEB_CLIENT) return;
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      if (message && typeof message.eventType === "string") receive(message.eventType, message.eventData);
    });
  }

  function on(eventType, handler) { (handlers[eventType] = handlers[eventType] || []).push(handler); }

  const back = { shown: false, press: null };
  on("back_button_pressed", () => { if (back.press) back.press(); });
  const bottom = { press: null };
  on("main_button_pressed", () => { if (bottom.press) bottom.press(); });

  return {
    on,
    ready() { post("web_app_ready"); post("web_app_expand"); post("web_app_request_theme"); post("web_app_request_viewport"); },
    // The BackButton at the top: shown while `press` can go back, hidden otherwise.
    backButton(press) {
      back.press = press;
      if (back.shown !== Boolean(press)) post("web_app_setup_back_button", { is_visible: Boolean(press) });
      back.shown = Boolean(press);
    },
    // The bottom (main) button with `text`, or hidden when `press` is null.
    bottomButton(text, press) {
      bottom.press = press;
      const style = getComputedStyle(document.documentElement);
      post("web_app_setup_main_button", press ? {
        is_visible: true, is_active: true, text,
        color: style.getPropertyValue("--button").trim(), text_color: style.getPropertyValue("--button-text").trim(),
      } : { is_visible: false });
    },
  };
})();
