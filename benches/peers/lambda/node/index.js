// The original avatar function's handler (Node.js + sharp), reproduced as the comparison
// peer of thumbing-lambda. Faithful on purpose, flaws included: only Records[0] is read,
// errors propagate (so Lambda retries a bad image), EXIF orientation is ignored unless
// SHARP_AUTO_ORIENT=1, and there is no prefix filter or loop guard.
'use strict';

const path = require('path');
const {
  getClient,
  getOriginalImage,
  processImage,
  uploadProcessedImage,
} = require('./s3-image-processing.js');

const bucketName = process.env.DEST_BUCKET_NAME;
const folderOutput = process.env.FOLDER_OUTPUT;
const width = parseInt(process.env.PROCESS_WIDTH, 10);
const height = parseInt(process.env.PROCESS_HEIGHT, 10);
const autoOrient = process.env.SHARP_AUTO_ORIENT === '1';

const client = getClient();

exports.handler = async (event) => {
  const srcBucket = event.Records[0].s3.bucket.name;
  const srcKey = decodeURIComponent(event.Records[0].s3.object.key.replace(/\+/g, ' '));
  const dstKey = `${folderOutput}/${path.parse(srcKey).name}.jpg`;
  console.log(JSON.stringify({ srcBucket, srcKey, dstBucket: bucketName, dstKey }));

  const originalImage = await getOriginalImage(client, srcBucket, srcKey);
  const processedImage = await processImage(originalImage, width, height, autoOrient);
  await uploadProcessedImage(client, bucketName, dstKey, processedImage);
};
