// Listen with the browser's own voice (the Web Speech API), marking the sentence being read, with pause, go on and
// slower. Only when the browser has a voice for the text's language: otherwise the page keeps what works without
// JavaScript (the server's audio, or a note). Nothing is fetched or spoken until the resident presses Listen.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || !window.SpeechSynthesisUtterance) { return; }
  var ENDS = /[^.!?\u06d4\u061f\u3002\uff01\uff1f]+[.!?\u06d4\u061f\u3002\uff01\uff1f]*["'\u201d\u2019)]*\s*/g;
  var MARK = "listen-sentence";
  var BLOCKS = "h2, h3, p, li, summary, legend, label";

  function voiceFor(lang) {
    var wanted = lang.toLowerCase(), primary = wanted.split("-")[0];
    var voices = synth.getVoices();
    return voices.filter(function (v) { return v.lang.toLowerCase().replace("_", "-") === wanted; })[0] ||
      voices.filter(function (v) { return v.lang.toLowerCase().split(/[-_]/)[0] === primary; })[0] || null;
  }

  // The sentences of the text, each with the text nodes and offsets it covers (for marking it without changing
  // the page: the CSS Custom Highlight API, or the block's class where that is missing).
  function sentences(root) {
    var found = [];
    root.querySelectorAll(BLOCKS).forEach(function (block) {
      if (block.closest("[hidden]")) { return; }
      // A block's own words: not those of a block inside it (a list item's explanation is read after the item).
      var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT), nodes = [], text = "", node;
      while ((node = walker.nextNode())) {
        if (node.parentElement.closest(BLOCKS + ", details") !== block) { continue; }
        nodes.push({ node: node, start: text.length }); text += node.data;
      }
      var match;
      ENDS.lastIndex = 0;
      while ((match = ENDS.exec(text)) !== null) {
        if (!match[0].trim()) { if (match[0].length === 0) { ENDS.lastIndex++; } continue; }
        found.push({ text: match[0].trim(), block: block, nodes: nodes, from: match.index,
                     to: match.index + match[0].trimEnd().length });
      }
    });
    return found;
  }

  function rangeOf(sentence) {
    var range = document.createRange(), startSet = false;
    sentence.nodes.forEach(function (entry) {
      var end = entry.start + entry.node.data.length;
      if (!startSet && sentence.from < end) { range.setStart(entry.node, sentence.from - entry.start); startSet = true; }
      if (sentence.to <= end && sentence.to >= entry.start) { range.setEnd(entry.node, sentence.to - entry.start); }
    });
    return range;
  }

  function mark(section, sentence, index) {
    section.dataset.listenSentence = index === null ? "" : String(index);
    section.dataset.listenText = sentence ? sentence.text : "";
    document.querySelectorAll(".listen-reading").forEach(function (el) { el.classList.remove("listen-reading"); });
    if (window.CSS && CSS.highlights && window.Highlight) {
      if (sentence) { CSS.highlights.set(MARK, new Highlight(rangeOf(sentence))); } else { CSS.highlights.delete(MARK); }
    } else if (sentence) {
      sentence.block.classList.add("listen-reading");
    }
  }

  function set(section, lang) {
    var root = document.getElementById(section.dataset.listenTarget);
    var controls = section.querySelector(".listen-controls");
    if (!root || !controls) { return; }
    var voice = voiceFor(lang);
    if (!voice) { return; }  // no voice here: the server's audio (or the note) stays
    var buttons = {};
    controls.querySelectorAll("[data-listen]").forEach(function (b) { buttons[b.dataset.listen] = b; });
    var player = section.querySelector("audio"), fallback = section.querySelector(".listen-fallback");
    if (player) { player.hidden = true; }
    if (fallback) { fallback.hidden = true; }
    controls.hidden = false;
    var queue = [], at = 0, slow = false, reading = false;

    function show(state) {
      buttons.play.hidden = state !== "stopped";
      buttons.pause.hidden = state !== "reading";
      buttons.resume.hidden = state !== "paused";
    }

    function speakFrom(index) {
      if (index >= queue.length) { reading = false; mark(section, null, null); show("stopped"); return; }
      at = index;
      var utterance = new SpeechSynthesisUtterance(queue[index].text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = slow ? 0.7 : 0.95;
      utterance.onstart = function () { mark(section, queue[index], index); };
      utterance.onend = function () { if (reading) { speakFrom(index + 1); } };
      utterance.onerror = function () { reading = false; mark(section, null, null); show("stopped"); };
      synth.speak(utterance);
    }

    buttons.play.addEventListener("click", function () {
      synth.cancel();
      queue = sentences(root);
      reading = true;
      show("reading");
      speakFrom(0);
    });
    buttons.pause.addEventListener("click", function () { synth.pause(); show("paused"); });
    buttons.resume.addEventListener("click", function () { synth.resume(); show("reading"); });
    buttons.slower.addEventListener("click", function () {
      slow = !slow;
      buttons.slower.setAttribute("aria-pressed", String(slow));
      if (reading) { reading = false; synth.cancel(); reading = true; show("reading"); speakFrom(at); }
    });
    window.addEventListener("pagehide", function () { synth.cancel(); });
  }

  function start() {
    document.querySelectorAll("section.listen[data-listen-target]").forEach(function (section) {
      set(section, section.dataset.listenLang || document.documentElement.lang);
    });
  }

  if (synth.getVoices().length) { start(); } else {
    var started = false;
    var once = function () { if (!started) { started = true; start(); } };
    synth.addEventListener("voiceschanged", once);
    setTimeout(once, 1500);  // some browsers never say their voices changed
  }
}());
