-- A DOCX brief's title is Word's Title style, so its sections are Heading 1 (the body's `##`):
-- Word's navigation pane and table of contents then start at level 1, as in any Word document.

return {
  {
    Header = function(h)
      h.level = math.max(1, h.level - 1)
      return h
    end,
  },
}
